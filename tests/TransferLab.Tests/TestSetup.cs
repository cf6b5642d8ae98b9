// Tests share libtorch's global state (thread count, RNG) and the machine's two cores; run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
