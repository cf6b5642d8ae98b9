using TransferLab.Data;
using TransferLab.Recipes;
using TransferLab.Training;
using static TorchSharp.torch;

namespace TransferLab.Tests.Training;

/// <summary>The training loop on a tiny model and synthetic images: what trains, what is observed, in
/// milliseconds.</summary>
[Tier(TierAttribute.Unit)]
public class TrainingLoopTests
{
    private static (RunOutcome Outcome, Dictionary<string, float[]> Before, Dictionary<string, float[]> After) Train(
        string recipe,
        int epochs = 3,
        ITrainingObserver? observer = null,
        IProgress<TrainingEvent>? progress = null,
        bool randomLabels = false
    )
    {
        using var model = new TinyClassifier(seed: 1);
        var before = model.State();
        var spec = RecipeParser.Parse(recipe, TestData.RecipeDefaults(Epochs: epochs, LearningRate: 1e-2));
        var options = new TrainingOptions(
            spec,
            0,
            new SyntheticImages(32, 4, seed: 1, randomLabels),
            new SyntheticImages(16, 8, 2)
        )
        {
            Observer = observer,
        };
        var outcome = new Trainer(progress).Train(model, options);
        return (outcome, before, model.State());
    }

    private static IEnumerable<string> Changed(Dictionary<string, float[]> before, Dictionary<string, float[]> after) =>
        before.Keys.Where(k => !k.EndsWith("num_batches_tracked") && !before[k].SequenceEqual(after[k])).Order();

    [Fact]
    public void Frozen_trains_the_head_only_and_learns_the_task()
    {
        var (outcome, before, after) = Train("frozen@lr=0.1", epochs: 5);

        Assert.Equal(["fc.bias", "fc.weight"], Changed(before, after)); // bn=eval: running statistics stay too
        Assert.Equal(5, outcome.History.Count);
        Assert.True(outcome.History[^1].TrainLoss < outcome.History[0].TrainLoss, "training loss fell");
        Assert.True(
            outcome.BestValAcc >= 0.9,
            string.Join("; ", outcome.History.Select(h => $"{h.TrainLoss} {h.TrainAcc} {h.ValAcc}"))
        );
        Assert.Equal(8 * 2 + 2, outcome.TrainableParameters);
    }

    /// <summary>Label smoothing changes the training loss (its target puts ε on every class) and not the
    /// evaluation's, and a smoothed run still learns the task.</summary>
    [Fact]
    public void Label_smoothing_changes_the_training_loss_only_and_the_run_still_learns()
    {
        var (plain, _, _) = Train("frozen@lr=1e-12", epochs: 1);
        var (smoothed, _, _) = Train("frozen@lr=1e-12@smoothing=0.5", epochs: 1);
        var (learning, _, _) = Train("frozen@lr=0.1@smoothing=0.1", epochs: 10);

        Assert.NotEqual(plain.History[0].TrainLoss, smoothed.History[0].TrainLoss, 4);
        Assert.Equal(plain.History[0].ValLoss, smoothed.History[0].ValLoss, 6);
        Assert.True(learning.BestValAcc >= 0.9, $"{learning.BestValAcc}");
    }

    [Fact]
    public void Patience_stops_a_run_that_no_longer_improves_and_keeps_its_best_epoch()
    {
        // A rate too small to move any prediction: epoch 0 stays the best, so patience 2 ends the run after epoch 2.
        var (stalled, _, _) = Train("frozen@lr=1e-12@patience=2", epochs: 10);
        var (patient, _, _) = Train("frozen@lr=0.1@patience=2", epochs: 8);
        var (full, _, _) = Train("frozen@lr=0.1", epochs: 8);

        Assert.Equal(3, stalled.History.Count);
        Assert.Equal(0, stalled.SelectedEpoch);
        // The same epochs as without patience, up to two past the best one.
        Assert.Equal(Math.Min(8, patient.SelectedEpoch + 3), patient.History.Count);
        Assert.Equal(
            full.History.Take(patient.History.Count).Select(h => (h.TrainLoss, h.ValAcc)),
            patient.History.Select(h => (h.TrainLoss, h.ValAcc))
        );
        Assert.Throws<InvalidInputException>(() => RecipeParser.Parse("frozen@patience=-1", TestData.RecipeDefaults()));
    }

    [Fact]
    public void Partial_1_trains_the_last_stage_and_the_head()
    {
        var (_, before, after) = Train("partial:1", epochs: 1);
        var changed = Changed(before, after).ToList();
        Assert.All(changed, name => Assert.True(name.StartsWith("layer2.") || name.StartsWith("fc."), name));
        Assert.Contains("layer2.0.weight", changed);
        Assert.DoesNotContain("conv1.weight", changed);
    }

    [Fact]
    public void Finetune_trains_every_parameter()
    {
        var (outcome, before, after) = Train("finetune", epochs: 1);
        Assert.Contains("conv1.weight", Changed(before, after));
        Assert.Contains("layer1.0.weight", Changed(before, after));
        Assert.Equal(
            before
                .Keys.Where(k => !k.Contains("running") && !k.EndsWith("num_batches_tracked"))
                .Sum(k => (long)before[k].Length),
            outcome.TrainableParameters
        );
    }

    [Fact]
    public void Counting_trainable_parameters_leaves_requires_grad_alone()
    {
        using var model = new TinyClassifier();
        var spec = RecipeParser.Parse("frozen", TestData.RecipeDefaults(Epochs: 1, LearningRate: 1e-2));
        var parameters = model.NamedParameters();
        Assert.Equal(18, Trainer.TrainableParameterCount(model, spec.Strategy, parameters));
        Assert.All(parameters, p => Assert.True(p.Parameter.requires_grad, p.Name));
    }

    [Fact]
    public void An_observer_sees_every_batch_and_epoch_without_changing_the_numbers()
    {
        var observer = new CountingObserver();
        var observed = Train("frozen@bn=train", epochs: 2, observer);
        var plain = Train("frozen@bn=train", epochs: 2);

        Assert.Equal(2 * (32 / 4), observer.Batches[Phase.Train]);
        Assert.Equal(2 * (16 / 8), observer.Batches[Phase.Val]);
        Assert.Equal([0, 1], observer.TrainPhasesEnded);
        Assert.Equal([0, 1], observer.EpochsEnded);
        Assert.Equal(
            plain.Outcome.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValAcc)),
            observed.Outcome.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValAcc))
        );
        Assert.Equal(plain.After.Keys, observed.After.Keys);
        Assert.All(plain.After.Keys, k => Assert.Equal(plain.After[k], observed.After[k]));
    }

    [Fact]
    public void Batches_are_reported_per_phase_with_their_samples()
    {
        var batches = new List<BatchCompleted>();
        Train(
            "frozen",
            epochs: 1,
            progress: new SynchronousProgress(e =>
            {
                if (e is BatchCompleted b)
                    batches.Add(b);
            })
        );
        var train = batches.Where(b => b.Phase == Phase.Train).ToList();
        Assert.Equal(8, train.Count);
        Assert.Equal(Enumerable.Range(0, 32), train.SelectMany(b => b.SampleIndices).Order());
        Assert.Equal(2, batches.Count(b => b.Phase == Phase.Val));
    }

    [Fact]
    public void A_learning_rate_far_too_large_ends_the_run_as_diverged()
    {
        // Labels that no model can learn: weights this large then make confident mistakes, and the loss explodes.
        var (outcome, _, _) = Train("finetune@lr=1e6", epochs: 2, randomLabels: true);
        Assert.True(outcome.Diverged, string.Join("; ", outcome.History.Select(h => $"{h.TrainLoss} {h.ValAcc}")));
        Assert.Contains("run stopped", outcome.Divergence);
    }

    private sealed class CountingObserver : ITrainingObserver
    {
        public Dictionary<Phase, int> Batches { get; } = new() { [Phase.Train] = 0, [Phase.Val] = 0 };
        public List<int> TrainPhasesEnded { get; } = [];
        public List<int> EpochsEnded { get; } = [];

        public bool ObservesFeatures => true;

        public void OnFeatures(int epoch, Phase phase, Batch batch, Tensor features)
        {
            Assert.Equal(8, features.shape[1]);
            Batches[phase]++;
        }

        public void AfterTrainPhase(int epoch, nn.Module network) => TrainPhasesEnded.Add(epoch);

        public void AfterEpoch(int epoch) => EpochsEnded.Add(epoch);
    }
}
