return TransferLab.Cli.CliApp.Run(args, Console.Out, Console.Error);
