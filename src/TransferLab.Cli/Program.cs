// The allocator has to be chosen before libtorch allocates anything (see NativeAllocator).
TransferLab.Training.NativeAllocator.UseJemallocIfInstalled();
return TransferLab.Cli.CliApp.Run(args, Console.Out, Console.Error);
