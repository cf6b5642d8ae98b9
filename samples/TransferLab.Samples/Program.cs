// On Linux, run on jemalloc when it is installed (libtorch's per-batch tensors fragment glibc's heap); this must
// come before anything touches libtorch, as it re-executes the program with the allocator preloaded.
TransferLab.Compute.NativeAllocator.UseJemallocIfInstalled();
return TransferLab.Samples.QuickStart.Run(args, Console.Out);
