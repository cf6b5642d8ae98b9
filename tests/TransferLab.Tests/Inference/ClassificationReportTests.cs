using TransferLab.Inference;

namespace TransferLab.Tests.Inference;

public class ClassificationReportTests
{
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
