namespace TransferLab.Backbones;

/// <summary>
/// A backbone as the user names it: <c>NAME[@weights=SPEC][@partial=true]</c>. SPEC is a local <c>.pth</c> or
/// <c>.safetensors</c> file, an http(s) URL, or a torchvision weight-set name (<c>IMAGENET1K_V2</c>,
/// <c>DEFAULT</c>); without it a torchvision architecture gets torchvision's DEFAULT set. <c>partial=true</c>
/// loads what fits and leaves the rest initialised (the load report names what did not fit).
/// </summary>
internal sealed record BackboneSpec(string Name, string? Weights = null, bool AllowPartial = false)
{
    public static BackboneSpec Parse(string text)
    {
        var parts = text.Trim().Split('@');
        string? weights = null;
        var partial = false;
        foreach (var option in parts.Skip(1))
        {
            var eq = option.IndexOf('=');
            var (key, value) = eq < 0 ? (option, "") : (option[..eq], option[(eq + 1)..]);
            switch (key)
            {
                case "weights" when value.Length > 0:
                    weights = LooksLikePath(value) ? Path.GetFullPath(value) : value;
                    break;
                case "partial" when value is "true" or "false":
                    partial = value == "true";
                    break;
                default:
                    throw new InvalidInputException(
                        $"backbone option '@{option}' in '{text}' is not known; use @weights=FILE|URL|SET "
                            + "and @partial=true"
                    );
            }
        }
        if (parts[0].Length == 0)
            throw new InvalidInputException($"backbone '{text}' has no name");
        return new BackboneSpec(parts[0], weights, partial);
    }

    /// <summary>The canonical text (absolute paths), as recorded in results and model files.</summary>
    public override string ToString() =>
        Name + (Weights is null ? "" : $"@weights={Weights}") + (AllowPartial ? "@partial=true" : "");

    private static bool LooksLikePath(string value) =>
        !value.Contains("://", StringComparison.Ordinal)
        && (value.Contains('/') || value.Contains('.') || File.Exists(value));
}
