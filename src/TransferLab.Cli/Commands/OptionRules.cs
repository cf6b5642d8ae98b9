using System.CommandLine;

namespace TransferLab.Cli.Commands;

/// <summary>Checks on option values that the parser reports with the other usage errors (exit code 2).</summary>
internal static class OptionRules
{
    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < minimum)
                result.AddError($"{option.Name} must be at least {minimum} (got {value})");
        });
        return option;
    }
}
