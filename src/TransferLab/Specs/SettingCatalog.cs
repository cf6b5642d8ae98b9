using System.Globalization;
using System.Reflection;
using TransferLab.Settings;

namespace TransferLab.Specs;

/// <summary>
/// One declared setting (<see cref="SettingAttribute"/> on a property of <see cref="ExperimentSpec"/> or <see
/// cref="ExecutionOptions"/>): its default, its range check, how a user writes its value, and how a record gets
/// it. The command line makes its options from these, so flag, default, help and check exist once.
/// </summary>
internal sealed class SettingDescriptor
{
    internal SettingDescriptor(PropertyInfo property, SettingAttribute declaration, object? defaults)
    {
        Property = property;
        Declaration = declaration;
        Default = defaults is null ? null : property.GetValue(defaults);
    }

    public PropertyInfo Property { get; }

    public SettingAttribute Declaration { get; }

    /// <summary>The value a record has when the setting is not given.</summary>
    public object? Default { get; }

    public string Flag => Declaration.Flag;

    public SettingName Name => new(Property.DeclaringType!.Name, Property.Name);

    /// <summary>The type of a value (the element type of a list, without <c>?</c>).</summary>
    public Type ValueType =>
        IsList
            ? Property.PropertyType.GetGenericArguments()[0]
            : Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    public bool IsList =>
        Property.PropertyType.IsGenericType
        && Property.PropertyType.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);

    /// <summary>A flag without a value (<c>--strict</c>).</summary>
    public bool IsSwitch => ValueType == typeof(bool);

    /// <summary>The names a user may give for an enum setting, else null.</summary>
    public IReadOnlyList<string>? Choices => ValueType.IsEnum ? ChoiceNames.All(ValueType) : null;

    /// <summary>The default as a user would type it, or null when there is none to show (switches, lists:
    /// <c>--runs</c> falls back to <c>--preset</c>).</summary>
    public string? DefaultText =>
        IsList ? null
        : Default switch
        {
            null or "" => null,
            bool => null,
            Enum value => ChoiceNames.Of(value),
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };

    /// <summary>The flag and value that set <paramref name="value"/>, or null when it is the default.</summary>
    public string? FlagFor(object? value)
    {
        if (Same(value, Default) || value is null)
            return null;
        if (value is bool on)
            return on ? Flag : null;
        var text = value is System.Collections.IEnumerable list and not string
            ? string.Join(",", list.Cast<object?>().Select(ValueText))
            : ValueText(value);
        return text.Length == 0 || text.Any(char.IsWhiteSpace) ? $"{Flag} '{text}'" : $"{Flag} {text}";
    }

    private static string ValueText(object? value) =>
        value switch
        {
            Enum choice => ChoiceNames.Of(choice),
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            _ => value?.ToString() ?? "",
        };

    private static bool Same(object? a, object? b) =>
        System.Text.Json.JsonSerializer.Serialize(a, Storage.JsonFormat.Compact)
        == System.Text.Json.JsonSerializer.Serialize(b, Storage.JsonFormat.Compact);

    /// <summary>Why <paramref name="value"/> is out of range, or null when it is not.</summary>
    public string? RangeError(object? value)
    {
        if (value is null || !IsNumber(value))
            return null;
        var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        var shown = Convert.ToString(value, CultureInfo.InvariantCulture);
        if (double.IsNaN(number) || double.IsInfinity(number))
            return $"must be a finite number (got {shown})";
        var (min, max) = (Declaration.Min, Declaration.Max);
        var belowMin = Declaration.MinExclusive ? number <= min : number < min;
        var aboveMax = Declaration.MaxExclusive ? number >= max : number > max;
        if (!belowMin && !aboveMax)
            return null;
        return (double.IsFinite(min), double.IsFinite(max)) switch
        {
            (true, true) => $"must be {Bound(min, Declaration.MinExclusive, true)} and {Bound(max,
                Declaration.MaxExclusive, false)} (got {shown})",
            (true, false) =>
                $"must be {(Declaration.MinExclusive ? "more than" : "at least")} {Text(min)} (got {shown})",
            _ => $"must be {(Declaration.MaxExclusive ? "less than" : "at most")} {Text(max)} (got {shown})",
        };
    }

    /// <summary>A value from what a user typed, or why it is not one.</summary>
    public (object? Value, string? Error) Parse(string text)
    {
        var type = ValueType;
        var styles = NumberStyles.Float;
        var culture = CultureInfo.InvariantCulture;
        if (type.IsEnum)
            return ChoiceNames.TryParse(type, text, out var choice)
                ? (choice, null)
                : (null, $"'{text}' is not one of {ChoiceNames.Listed(type)}");
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, culture, out var i) ? (i, null) : (null, NotWhole(text));
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, culture, out var l) ? (l, null) : (null, NotWhole(text));
        if (type == typeof(TimeSpan))
            return Durations.TryParse(text, out var duration, out var invalid) ? (duration, null) : (null, invalid);
        if (type == typeof(double))
            return double.TryParse(text, styles, culture, out var d)
                ? (d, null)
                : (null, $"'{text}' is not a number (e.g. 0.001 or 1e-3)");
        return (text, null);
    }

    /// <summary>A copy of <paramref name="record"/> with this setting set to <paramref name="value"/>.</summary>
    public T With<T>(T record, object? value)
        where T : class
    {
        var clone = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(record, null)!;
        Property.SetValue(clone, value);
        return clone;
    }

    private static string NotWhole(string text) => $"'{text}' is not a whole number";

    private static bool IsNumber(object value) => value is int or long or double or float;

    private static string Bound(double bound, bool exclusive, bool lower) =>
        (lower, exclusive) switch
        {
            (true, false) => $"between {Text(bound)}",
            (true, true) => $"more than {Text(bound)}",
            (false, false) => Text(bound),
            _ => $"less than {Text(bound)}",
        };

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Every declared setting of <see cref="ExperimentSpec"/> and <see cref="ExecutionOptions"/>.</summary>
internal static class SettingCatalog
{
    public static IReadOnlyList<SettingDescriptor> Spec { get; } =
        Describe(typeof(ExperimentSpec), new ExperimentSpec { DataDir = "" });

    public static IReadOnlyList<SettingDescriptor> Execution { get; } =
        Describe(typeof(ExecutionOptions), new ExecutionOptions());

    public static IEnumerable<SettingDescriptor> All => Spec.Concat(Execution);

    /// <summary>The declared setting a message names, or null (a library call's parameter).</summary>
    public static SettingDescriptor? Find(SettingName name) =>
        All.FirstOrDefault(d => d.Name.Owner == name.Owner && d.Name.Name == name.Name);

    /// <summary>Fails on the first setting of <paramref name="record"/> outside its declared range.</summary>
    public static void CheckRanges<T>(T record)
        where T : class
    {
        foreach (var descriptor in All.Where(d => d.Property.DeclaringType == typeof(T)))
            if (descriptor.RangeError(descriptor.Property.GetValue(record)) is { } error)
                throw new InvalidInputException($"{descriptor.Name} {error}");
    }

    /// <summary>The flags that give <paramref name="spec"/> from the defaults, as a user would type them
    /// (<c>--epochs 10</c>, <c>--augment none</c>, <c>--strict</c>), in declaration order.</summary>
    public static IReadOnlyList<string> FlagsOf(ExperimentSpec spec) =>
        [.. Spec.Select(d => d.FlagFor(d.Property.GetValue(spec))).OfType<string>()];

    private static List<SettingDescriptor> Describe(Type type, object defaults) =>
        type.GetProperties()
            .Select(p => (Property: p, Declaration: p.GetCustomAttribute<SettingAttribute>()))
            .Where(p => p.Declaration is not null)
            .Select(p => new SettingDescriptor(p.Property, p.Declaration!, defaults))
            .ToList();
}

/// <summary>Which settings two specs differ in, to say why they are not the same experiment.</summary>
internal static class SpecDifference
{
    public static IReadOnlyList<SettingName> Between(ExperimentSpec a, ExperimentSpec b) =>
        typeof(ExperimentSpec)
            .GetProperties()
            .Where(p => p.CanWrite && Json(p.GetValue(a)) != Json(p.GetValue(b)))
            .Select(p => new SettingName(nameof(ExperimentSpec), p.Name))
            .ToList();

    private static string Json(object? value) =>
        System.Text.Json.JsonSerializer.Serialize(value, Storage.JsonFormat.Compact);
}
