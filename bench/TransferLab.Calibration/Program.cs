// How often the verdict says "different" where there is no difference, how often its interval misses the truth,
// and how often it finds a difference that is there (docs/STATISTICS.md, "Calibration"; bench/calibration.sh
// runs it).
//   simulate [COMPARISONS=5000]                        the earlier rule against the verdict where seed and image
//                                                      effects coexist, at 3, 5 and 10 seeds
//   pool POOL_DIR WORK_DIR [COMPARISONS=2000] [SEEDS=60]  interval coverage on Fashion-MNIST's 10,000 test images
//   hymenoptera DATA_DIR WORK_DIR [COMPARISONS=200] [SEEDS=5] [FOLDS=5] [CV_COMPARISONS=100]
//                                                      trained runs: A/A, power, 6 copies, folds, holdout
//   finetune DATA_DIR WORK_DIR [COMPARISONS=3]         a fine-tuning A/A with 2 + 2 seeds (slow: ~4 runs/comparison)
//   race [RACES=1000] [SEEDS=5]                        how often compare --race stops a run it should not
//   race-replay RESULTS_JSON                           a finished comparison as compare --race would have run it
using System.Globalization;
using TransferLab.Calibration;

TransferLab.Compute.NativeAllocator.UseJemallocIfInstalled();
int Arg(int index, int fallback) =>
    args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
switch (args.FirstOrDefault())
{
    case "simulate":
        SimulationSweep.Run(Arg(1, 5000));
        break;
    case "pool":
        new PoolCoverage(args[1], args[2], Arg(4, 60)).Run(Arg(3, 2000));
        break;
    case "hymenoptera":
        TrainedCalibration.Run(args[1], args[2], Arg(3, 200), Arg(4, 5), Arg(5, 5), Arg(6, 100));
        break;
    case "race":
        RaceCalibration.Run(Arg(1, 1000), Arg(2, 5));
        break;
    case "race-replay":
        RaceReplay.Run(args[1]);
        break;
    case "finetune":
        TrainedCalibration.FineTune(args[1], args[2], Arg(3, 3));
        break;
    default:
        Console.Error.WriteLine(
            "usage: TransferLab.Calibration simulate|pool|hymenoptera|finetune|race|race-replay ... (Program.cs)"
        );
        return 2;
}
return 0;
