namespace TransferLab.Training;

internal static class LearningRateSchedule
{
    /// <summary>
    /// The learning rate at a point of the run (<paramref name="epoch"/> may be fractional: epoch + batch/batches).
    /// Step decays at whole epochs like torch's StepLR stepped once per epoch; cosine anneals from the base rate
    /// to 0 over the epochs after warm-up.
    /// </summary>
    /// <param name="stepEpochs">The part of an epoch one step covers. Warm-up gives a step the rate reached at its
    /// end, so the first step learns (a rate of 0 would waste it) and the last warm-up step is at the base
    /// rate.</param>
    public static double At(
        ScheduleSpec schedule,
        double baseRate,
        double epoch,
        int totalEpochs,
        double stepEpochs = 0
    )
    {
        if (schedule.WarmupEpochs > 0 && epoch < schedule.WarmupEpochs)
            return baseRate * Math.Min(1, (epoch + stepEpochs) / schedule.WarmupEpochs);
        var afterWarmup = epoch - schedule.WarmupEpochs;
        return schedule.Kind switch
        {
            ScheduleKind.Constant => baseRate,
            ScheduleKind.Step => baseRate
                * Math.Pow(schedule.Gamma, Math.Floor(Math.Floor(epoch) / schedule.StepEpochs)),
            ScheduleKind.Cosine => baseRate
                * 0.5
                * (
                    1
                    + Math.Cos(
                        Math.PI * Math.Clamp(afterWarmup / Math.Max(totalEpochs - schedule.WarmupEpochs, 1e-9), 0, 1)
                    )
                ),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule.Kind, null),
        };
    }
}
