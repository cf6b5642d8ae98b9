using CsvHelper;

namespace TransferLab.Data;

/// <summary>
/// A label file as Kaggle-style datasets ship them: one row per image, <c>path,label</c> (<c>.csv</c>) or
/// <c>path&lt;TAB&gt;label</c> (<c>.tsv</c>), paths relative to the file's folder, an optional header row
/// (a first row whose path is not a file). Read with CsvHelper, so quoted fields with commas work; a row with a
/// third non-empty field is refused rather than read as its first two. Paths may leave the file's folder
/// (<c>../</c>, absolute), as torchvision's lists do.
/// </summary>
internal static class LabelFile
{
    public static bool IsLabelFile(string path) =>
        File.Exists(path) && Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".tsv";

    public static ImageFolder Read(string path)
    {
        if (Storage.FileKind.NotRegular(path) is { } kind)
            throw new DatasetException($"label file '{path}' is {kind}, not a regular file");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var rows = Rows(path);
        if (rows.Count > 0 && !File.Exists(Path.Combine(folder, rows[0].Path)))
            rows.RemoveAt(0); // a header such as "path,label" or "image,class"
        if (rows.Count == 0)
            throw new DatasetException($"label file '{path}' lists no images; write one 'path,label' row per image");
        if (rows.FirstOrDefault(r => r.Path.Any(char.IsControl)) is { Path: not null } control)
            throw new DatasetException(
                $"label file '{path}' lists a path with a control character: '{control.Path}'"
            );
        var entries = rows.Select(r => (Path.GetFullPath(Path.Combine(folder, r.Path)), r.Label)).ToList();
        var missing = entries.Where(e => !File.Exists(e.Item1)).ToList();
        if (missing.Count > 0)
            throw new DatasetException(
                $"label file '{path}' lists {missing.Count} image(s) that do not exist, e.g. '{missing[0].Item1}' "
                    + "(paths are relative to the label file's folder)"
            );
        var twice = entries.GroupBy(e => e.Item1).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new DatasetException($"label file '{path}' lists '{twice.Key}' more than once");
        var folderOf = ImageFolder.FromList(folder, entries);
        if (folderOf.Classes.Count < 2)
            throw new DatasetException($"label file '{path}' has only one label; a classifier needs at least two");
        return folderOf;
    }

    private static List<(string Path, string Label)> Rows(string path)
    {
        var separator = Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        var options = new CsvReaderOptions
        {
            Separator = separator,
            HasHeader = false,
            SkipEmptyLines = true,
            TrimWhitespace = true,
            TrackLineNumbers = true,
        };
        using var csv = CsvReader.FromFile(path, options, FileOptions.SequentialScan);
        var rows = new List<(string, string)>();
        while (ReadRow(csv, path))
        {
            if (csv.FieldCount < 2 || csv.IsEmpty(0) || csv.IsEmpty(1))
                throw new DatasetException(
                    $"label file '{path}', line {csv.LineNumber}: expected 'path{separator}label'"
                );
            if (Enumerable.Range(2, Math.Max(0, csv.FieldCount - 2)).Any(i => !csv.IsEmpty(i)))
                throw new DatasetException(
                    $"label file '{path}', line {csv.LineNumber}: {csv.FieldCount} fields, expected "
                        + $"'path{separator}label'; quote a path or label that contains '{separator}', and remove "
                        + "other columns"
                );
            var label = csv.GetString(1);
            if (label.Any(char.IsControl))
                throw new DatasetException(
                    $"label file '{path}', line {csv.LineNumber}: the label contains control characters"
                );
            rows.Add((csv.GetString(0), label));
        }
        return rows;
    }

    private static bool ReadRow(CsvReader csv, string path)
    {
        try
        {
            return csv.Read();
        }
        catch (CsvFormatException e)
        {
            throw new DatasetException($"label file '{path}' is not valid CSV near line {csv.LineNumber}: {e.Message}");
        }
    }
}
