// The allocator has to be chosen before libtorch allocates anything (see NativeAllocator).
TransferLab.Compute.NativeAllocator.UseJemallocIfInstalled();
using var interrupt = new TransferLab.Cli.Interrupt(Console.Error);
return TransferLab.Cli.CliApp.Run(args, Console.Out, Console.Error, interrupt.Token);
