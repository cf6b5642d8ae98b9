// The allocator has to be chosen before libtorch allocates anything (see NativeAllocator).
TransferLab.Compute.NativeAllocator.UseJemallocIfInstalled();
int code;
using (var interrupt = new TransferLab.Cli.Interrupt(Console.Error))
    code = TransferLab.Cli.CliApp.Run(args, Console.Out, Console.Error, interrupt.Token);
return TransferLab.Cli.ProcessExit.Now(code);
