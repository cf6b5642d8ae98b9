using TransferLab.Training;

namespace TransferLab.Tests.Training;

[Tier(TierAttribute.Unit)]

public class ScheduleTests
{
    [Fact]
    public void Constant_step_cosine_and_warmup()
    {
        Assert.Equal(0.01, LearningRateSchedule.At(new ScheduleSpec(), 0.01, 3.5, 5));
        var step = new ScheduleSpec(ScheduleKind.Step, StepEpochs: 2, Gamma: 0.1);
        Assert.Equal(0.01, LearningRateSchedule.At(step, 0.01, 1.9, 5), 12);
        Assert.Equal(0.001, LearningRateSchedule.At(step, 0.01, 2.0, 5), 12);
        Assert.Equal(0.0001, LearningRateSchedule.At(step, 0.01, 4.5, 5), 12);
        var cosine = new ScheduleSpec(ScheduleKind.Cosine);
        Assert.Equal(0.01, LearningRateSchedule.At(cosine, 0.01, 0, 4), 12);
        Assert.Equal(0.005, LearningRateSchedule.At(cosine, 0.01, 2, 4), 12);
        Assert.Equal(0, LearningRateSchedule.At(cosine, 0.01, 4, 4), 12);
        var warm = new ScheduleSpec(ScheduleKind.Cosine, WarmupEpochs: 1);
        Assert.Equal(0.005, LearningRateSchedule.At(warm, 0.01, 0.5, 5), 12);
        Assert.Equal(0.01, LearningRateSchedule.At(warm, 0.01, 1, 5), 12);
        // The first of 4 steps per epoch trains at a quarter of the rate, not at 0; the fourth reaches it.
        Assert.Equal(0.0025, LearningRateSchedule.At(warm, 0.01, 0, 5, stepEpochs: 0.25), 12);
        Assert.Equal(0.01, LearningRateSchedule.At(warm, 0.01, 0.75, 5, stepEpochs: 0.25), 12);
    }
}
