using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit.Abstractions;

namespace TransferLab.Tests;

/// <summary>
/// The library's folders (one namespace each) form layers: reading TransferLab.dll with Mono.Cecil, every type a
/// folder's types use — in signatures, fields, base types, attributes and method bodies — gives a folder-to-folder
/// graph, which must have no cycle; and the folders below the experiment layer never use it.
/// </summary>
[Tier(TierAttribute.Unit)]
public class LayeringTests(ITestOutputHelper output)
{
    /// <summary>Folders that are below <c>Experiments</c> and must never reach up into it.</summary>
    private static readonly string[] BelowExperiments =
    [
        "Settings", "Storage", "Data", "Backbones", "Strategies", "Regularization", "Recipes", "Training",
        "Caching", "Runs", "Statistics", "Models", "Export", "Inference", "Specs", "Results", "Reporting",
    ];

    [Fact]
    public void Folders_form_layers_without_a_cycle()
    {
        var graph = FolderGraph();
        foreach (var (folder, uses) in graph.OrderBy(g => g.Key))
            output.WriteLine($"{folder} -> {string.Join(", ", uses.Order())}");

        var cycle = FindCycle(graph);
        Assert.True(cycle is null, "folders that use each other: " + string.Join(" -> ", cycle ?? []));
        foreach (var folder in BelowExperiments)
            Assert.DoesNotContain("Experiments", graph.GetValueOrDefault(folder) ?? []);
    }

    [Fact]
    public void The_check_finds_a_cycle_when_there_is_one()
    {
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"],
            ["B"] = ["C"],
            ["C"] = ["A"],
            ["D"] = ["A"],
        };
        Assert.Equal(["A", "B", "C", "A"], FindCycle(graph));
        graph["C"].Clear();
        Assert.Null(FindCycle(graph));
    }

    /// <summary>Folder → folders its types use (a folder is the namespace below TransferLab; the root
    /// namespace is "(root)").</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph()
    {
        var path = typeof(TransferLab.Experiments.ComparisonRunner).Assembly.Location;
        using var module = ModuleDefinition.ReadModule(path);
        var graph = new Dictionary<string, HashSet<string>>();
        var types = module.GetTypes().Where(t => t.Namespace.StartsWith("TransferLab", StringComparison.Ordinal));
        foreach (var type in types)
        {
            var from = FolderOf(type)!;
            var uses = graph.TryGetValue(from, out var set) ? set : graph[from] = [];
            foreach (var used in UsedTypes(type).Select(FolderOf).Where(f => f is not null && f != from))
                uses.Add(used!);
        }
        return graph;
    }

    private static string? FolderOf(TypeReference type)
    {
        while (type.DeclaringType is not null)
            type = type.DeclaringType;
        if (type.Scope.Name is not ("TransferLab" or "TransferLab.dll"))
            return null;
        var ns = type.Namespace;
        return ns == "TransferLab" ? "(root)"
            : ns.StartsWith("TransferLab.", StringComparison.Ordinal) ? ns["TransferLab.".Length..].Split('.')[0]
            : null;
    }

    private static IEnumerable<TypeReference> UsedTypes(TypeDefinition type)
    {
        var used = new List<TypeReference>();
        if (type.BaseType is not null)
            used.Add(type.BaseType);
        used.AddRange(type.Interfaces.Select(i => i.InterfaceType));
        used.AddRange(type.CustomAttributes.Select(a => a.AttributeType));
        used.AddRange(type.Fields.Select(f => f.FieldType));
        used.AddRange(type.Properties.Select(p => p.PropertyType));
        foreach (var method in type.Methods)
        {
            used.Add(method.ReturnType);
            used.AddRange(method.Parameters.Select(p => p.ParameterType));
            used.AddRange(method.CustomAttributes.Select(a => a.AttributeType));
            if (method.HasBody)
                used.AddRange(BodyTypes(method.Body));
        }
        return used.SelectMany(Expand);
    }

    private static IEnumerable<TypeReference> BodyTypes(MethodBody body)
    {
        foreach (var variable in body.Variables)
            yield return variable.VariableType;
        foreach (var instruction in body.Instructions)
            switch (instruction.Operand)
            {
                case TypeReference type:
                    yield return type;
                    break;
                case MemberReference member when member.DeclaringType is not null:
                    yield return member.DeclaringType;
                    if (member is MethodReference method)
                        yield return method.ReturnType;
                    if (member is FieldReference field)
                        yield return field.FieldType;
                    break;
            }
    }

    /// <summary>A type and the types it is made of (array elements, generic arguments).</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        yield return type.GetElementType();
        if (type is GenericInstanceType generic)
            foreach (var argument in generic.GenericArguments.SelectMany(Expand))
                yield return argument;
    }

    /// <summary>A path A → … → A in the graph, or null.</summary>
    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(); // 1: on the current path, 2: done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in (graph.GetValueOrDefault(node) ?? []).Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                    return [.. path.SkipWhile(n => n != next), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                    return found;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
                return cycle;
        return null;
    }
}
