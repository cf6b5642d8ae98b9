using TransferLab.Inference;

namespace TransferLab.Tests.Inference;

[Tier(TierAttribute.Unit)]

public class ClassificationReportTests
{
    /// <summary>scikit-learn's classification_report on the same labels gives these averages (checked by hand:
    /// per class a 0.75/0.75/0.75 of 4, b 1/3, 1/2, 0.4 of 2, c 1, 0.75, 6/7 of 4).</summary>
    [Fact]
    public void Macro_and_weighted_averages_and_balanced_accuracy_weigh_classes_as_scikit_learn_does()
    {
        int[] labels = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 0, 1, 1, 0, 2, 2, 2, 1];

        var report = ClassificationReport.From(labels, predicted, ["a", "b", "c"]);

        Assert.Equal((0.75 + 1.0 / 3 + 1) / 3, report.Macro.Precision, 12);
        Assert.Equal((0.75 + 0.5 + 0.75) / 3, report.Macro.Recall, 12);
        Assert.Equal((0.75 + 0.4 + 6.0 / 7) / 3, report.Macro.F1, 12);
        Assert.Equal((4 * 0.75 + 2.0 / 3 + 4) / 10, report.Weighted.Precision, 12);
        Assert.Equal(report.Accuracy, report.Weighted.Recall, 12); // support-weighted recall is accuracy
        Assert.Equal((4 * 0.75 + 2 * 0.4 + 4 * 6.0 / 7) / 10, report.Weighted.F1, 12);
        Assert.Equal(report.Macro.Recall, report.BalancedAccuracy, 12);
    }

    [Fact]
    public void Precision_recall_and_f1_follow_the_confusion_matrix()
    {
        // true:      a a a a b b c c c c
        // predicted: a a a b b a c c c b
        int[] labels = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 0, 1, 1, 0, 2, 2, 2, 1];

        var report = ClassificationReport.From(labels, predicted, ["a", "b", "c"]);

        Assert.Equal(0.7, report.Accuracy, 12);
        Assert.Equal(
            [
                [3, 1, 0],
                [1, 1, 0],
                [0, 1, 3],
            ],
            report.Confusion
        );
        var a = report.PerClass[0];
        Assert.Equal((0.75, 0.75, 0.75, 4), (a.Precision, a.Recall, a.F1, a.Support));
        var b = report.PerClass[1];
        Assert.Equal(1.0 / 3, b.Precision, 12);
        Assert.Equal(0.5, b.Recall, 12);
        Assert.Equal(0.4, b.F1, 12);
        var c = report.PerClass[2];
        Assert.Equal((1.0, 0.75), (c.Precision, c.Recall));
    }

    [Fact]
    public void A_class_never_predicted_has_zero_precision_not_a_division_by_zero()
    {
        var report = ClassificationReport.From([0, 1], [0, 0], ["a", "b"]);
        Assert.Equal((0.0, 0.0, 0.0), (report.PerClass[1].Precision, report.PerClass[1].Recall, report.PerClass[1].F1));
    }
}
