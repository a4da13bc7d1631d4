using System.Text.Json;
using System.Text.RegularExpressions;

namespace Moat.Tests.Emit;

/// <summary>One problem with an event: a stable code, where (a dotted path, <c>[i]</c> for array items) and why.</summary>
internal sealed record OcsfIssue(string Code, string Path, string Message)
{
    public override string ToString() => $"{Code} at {Path}: {Message}";
}

internal sealed record OcsfReport(IReadOnlyList<OcsfIssue> Errors, IReadOnlyList<OcsfIssue> Warnings);

/// <summary>
/// Checks an event against one OCSF class, following what ocsf-server's validator2 checks (see the schema
/// README, §3.4). The schema comes from the shared reference folder: <c>compiled/detection_finding.json</c> is the
/// class with inheritance, includes, profiles and dictionary already resolved by the OCSF compiler, plus every
/// object reachable from it and the dictionary's data types; <c>version.json</c> is the schema version.
/// Errors:
/// <list type="bullet">
/// <item><c>unknown-class</c>: class_uid missing, not an integer, or not this class.</item>
/// <item><c>unknown-profile</c>: metadata.profiles names a profile the schema does not have.</item>
/// <item><c>missing-required</c>: a required attribute is absent, at any depth (objects are checked recursively,
/// array items one by one); attributes of a profile the event does not list are not required.</item>
/// <item><c>unknown-attribute</c>: a key the class or object does not define; <c>profile-not-listed</c>: a key that
/// belongs to a profile missing from metadata.profiles. The bare <c>object</c> type takes any keys.</item>
/// <item><c>wrong-type</c>: the JSON value does not fit the attribute's type: string_t and its refinements need a
/// string, integer_t a 32-bit integer, long_t and timestamp_t a 64-bit integer, float_t a number, boolean_t a
/// boolean, an object type an object, <c>is_array</c> an array.</item>
/// <item><c>bad-format</c>: a string that fails its type's regex or max_len, or an integer outside its range.</item>
/// <item><c>timestamp-in-seconds</c>: a timestamp_t too small to be milliseconds since the epoch (before 1973).</item>
/// <item><c>not-in-enum</c>: a value (every <c>*_id</c> with an enum, and any other enum) that is not one of the enum's.</item>
/// <item><c>constraint</c>: an at_least_one or just_one constraint of the class or an object is not met.</item>
/// <item><c>type-uid-mismatch</c>: type_uid is not class_uid × 100 + activity_id.</item>
/// <item><c>bad-version</c>: metadata.version is not a version, or is newer than the schema.</item>
/// </list>
/// Warnings: <c>sibling-mismatch</c> (a caption string such as <c>severity</c> differs from its <c>severity_id</c>'s
/// enum caption, or is "Other" for 99), <c>deprecated</c>, <c>version-mismatch</c>, and, when asked,
/// <c>missing-recommended</c>.
/// </summary>
internal sealed partial class OcsfSchemaValidator
{
    private readonly JsonElement _class;
    private readonly JsonElement _objects;
    private readonly JsonElement _types;
    private readonly HashSet<string> _profiles;

    private OcsfSchemaValidator(JsonDocument compiled, string version)
    {
        var root = compiled.RootElement;
        _class = root.GetProperty("class");
        _objects = root.GetProperty("objects");
        _types = root.GetProperty("types");
        _profiles = [.. root.GetProperty("profiles").EnumerateObject().Select(p => p.Name)];
        Version = version;
        ClassUid = _class.GetProperty("uid").GetInt32();
    }

    /// <summary>The schema version (version.json).</summary>
    public string Version { get; }

    public int ClassUid { get; }

    /// <summary>The class definition as loaded (attributes by name).</summary>
    public JsonElement Class => _class;

    public JsonElement Object(string name) => _objects.GetProperty(name);

    public static OcsfSchemaValidator Load(string schemaDir)
    {
        var compiled = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(schemaDir, "compiled", "detection_finding.json")));
        using var version = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(schemaDir, "version.json")));
        return new OcsfSchemaValidator(compiled, version.RootElement.GetProperty("version").GetString()!);
    }

    public OcsfReport Validate(string json, bool reportRecommended = false)
    {
        using var doc = JsonDocument.Parse(json);
        return Validate(doc.RootElement, reportRecommended);
    }

    public OcsfReport Validate(JsonElement ev, bool reportRecommended = false)
    {
        var run = new Run(this, reportRecommended);
        if (ev.ValueKind != JsonValueKind.Object)
        {
            run.Error("wrong-type", "", "an event is a JSON object");
            return run.Report();
        }
        if (!ev.TryGetProperty("class_uid", out var cu) || cu.ValueKind != JsonValueKind.Number || !cu.TryGetInt32(out var classUid) || classUid != ClassUid)
        {
            run.Error("unknown-class", "class_uid", $"this validator knows class {ClassUid} only");
            return run.Report();
        }

        // Profiles first: they decide which attributes exist.
        if (ev.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object
            && md.TryGetProperty("profiles", out var pr) && pr.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var p in pr.EnumerateArray())
            {
                if (p.ValueKind == JsonValueKind.String && _profiles.Contains(p.GetString()!)) run.Profiles.Add(p.GetString()!);
                else run.Error("unknown-profile", $"metadata.profiles[{i}]", $"'{p}' is not a profile of the schema");
                i++;
            }
        }

        run.CheckObject(ev, _class, "");

        if (ev.TryGetProperty("type_uid", out var tu) && tu.TryGetInt64(out var typeUid)
            && ev.TryGetProperty("activity_id", out var ai) && ai.TryGetInt64(out var activityId) && typeUid != ClassUid * 100L + activityId)
            run.Error("type-uid-mismatch", "type_uid", $"{typeUid} is not class_uid × 100 + activity_id = {ClassUid * 100L + activityId}");

        if (ev.TryGetProperty("metadata", out md) && md.ValueKind == JsonValueKind.Object && md.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String)
        {
            var text = v.GetString()!;
            if (!VersionPattern().IsMatch(text)) run.Error("bad-version", "metadata.version", $"'{text}' is not a version");
            else if (CompareVersions(text, Version) > 0) run.Error("bad-version", "metadata.version", $"{text} is newer than the schema ({Version})");
            else if (text != Version) run.Warning("version-mismatch", "metadata.version", $"{text} is not the schema's version {Version}");
        }
        return run.Report();
    }

    private static int CompareVersions(string a, string b)
    {
        static int[] Parts(string s) => [.. s.Split('-')[0].Split('.').Select(int.Parse)];
        var (x, y) = (Parts(a), Parts(b));
        for (int i = 0; i < 3; i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return 0;
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex VersionPattern();

    /// <summary>One validation: the event's profiles and the issues found so far.</summary>
    private sealed class Run(OcsfSchemaValidator schema, bool reportRecommended)
    {
        // A real event time in milliseconds is past 1e11 (1973); a value below that is seconds since the epoch.
        private const long MinMilliseconds = 100_000_000_000L;

        private readonly List<OcsfIssue> _errors = [];
        private readonly List<OcsfIssue> _warnings = [];

        public HashSet<string> Profiles { get; } = [];

        public OcsfReport Report() => new(_errors, _warnings);

        public void Error(string code, string path, string message) => _errors.Add(new OcsfIssue(code, path, message));

        public void Warning(string code, string path, string message) => _warnings.Add(new OcsfIssue(code, path, message));

        /// <summary>An attribute exists in this event when no profile gates it, or one of its profiles is listed.</summary>
        private bool Active(JsonElement attr) =>
            !attr.TryGetProperty("profiles", out var ps) || ps.ValueKind != JsonValueKind.Array || ps.GetArrayLength() == 0
            || ps.EnumerateArray().Any(p => Profiles.Contains(p.GetString()!));

        /// <summary>Checks one object's keys against a definition (the class, or an object of the schema).</summary>
        public void CheckObject(JsonElement value, JsonElement definition, string path)
        {
            var attrs = definition.GetProperty("attributes");
            string At(string name) => path.Length == 0 ? name : path + "." + name;

            foreach (var p in value.EnumerateObject())
            {
                if (!attrs.TryGetProperty(p.Name, out var attr))
                {
                    Error("unknown-attribute", At(p.Name), "not an attribute of " + Name(definition));
                    continue;
                }
                if (!Active(attr))
                {
                    Error("profile-not-listed", At(p.Name), $"belongs to profile {attr.GetProperty("profiles")} which metadata.profiles does not list");
                    continue;
                }
                if (attr.TryGetProperty("@deprecated", out _)) Warning("deprecated", At(p.Name), "deprecated attribute");
                CheckAttribute(p.Value, attr, At(p.Name));
            }

            foreach (var a in attrs.EnumerateObject())
            {
                if (value.TryGetProperty(a.Name, out _) || !Active(a.Value)) continue;
                var requirement = a.Value.TryGetProperty("requirement", out var r) ? r.GetString() : "optional";
                if (requirement == "required") Error("missing-required", At(a.Name), "required by " + Name(definition));
                else if (requirement == "recommended" && reportRecommended) Warning("missing-recommended", At(a.Name), "recommended by " + Name(definition));
            }

            // Siblings: severity_id → severity and the like; the caption must match, and 99 (Other) carries the source's own word.
            foreach (var a in attrs.EnumerateObject())
            {
                if (!a.Value.TryGetProperty("sibling", out var sib) || !a.Value.TryGetProperty("enum", out var en)) continue;
                if (!value.TryGetProperty(a.Name, out var id) || !value.TryGetProperty(sib.GetString()!, out var caption) || caption.ValueKind != JsonValueKind.String) continue;
                var key = id.ValueKind == JsonValueKind.Number ? id.GetRawText() : id.GetString();
                if (key == "99")
                {
                    if (caption.GetString() == "Other") Warning("sibling-mismatch", At(sib.GetString()!), "for 99 the sibling should carry the source's own value, not \"Other\"");
                }
                else if (key is not null && en.TryGetProperty(key, out var member) && member.TryGetProperty("caption", out var expected) && expected.GetString() != caption.GetString())
                    Warning("sibling-mismatch", At(sib.GetString()!), $"'{caption.GetString()}' is not the caption of {a.Name} {key} ('{expected.GetString()}')");
            }

            if (definition.TryGetProperty("constraints", out var constraints) && constraints.ValueKind == JsonValueKind.Object)
            {
                int Present(JsonElement names) => names.EnumerateArray().Count(n => value.TryGetProperty(n.GetString()!, out _));
                if (constraints.TryGetProperty("at_least_one", out var any) && Present(any) == 0)
                    Error("constraint", path, $"{Name(definition)} needs at least one of {any}");
                if (constraints.TryGetProperty("just_one", out var one) && Present(one) != 1)
                    Error("constraint", path, $"{Name(definition)} needs exactly one of {one}");
            }
        }

        private void CheckAttribute(JsonElement value, JsonElement attr, string path)
        {
            bool isArray = attr.TryGetProperty("is_array", out var ia) && ia.ValueKind == JsonValueKind.True;
            if (isArray)
            {
                if (value.ValueKind != JsonValueKind.Array) { Error("wrong-type", path, "an array is expected"); return; }
                int i = 0;
                foreach (var item in value.EnumerateArray()) CheckValue(item, attr, $"{path}[{i++}]");
            }
            else CheckValue(value, attr, path);
        }

        private void CheckValue(JsonElement value, JsonElement attr, string path)
        {
            var type = attr.GetProperty("type").GetString()!;
            if (type == "object_t")
            {
                var objectType = attr.GetProperty("object_type").GetString()!;
                if (value.ValueKind != JsonValueKind.Object) { Error("wrong-type", path, $"an object ({objectType}) is expected"); return; }
                // The bare object type (unmapped, for one) takes any keys.
                if (objectType == "object") return;
                var definition = schema._objects.GetProperty(objectType);
                if (definition.TryGetProperty("@deprecated", out _)) Warning("deprecated", path, $"object {objectType} is deprecated");
                CheckObject(value, definition, path);
                return;
            }
            if (!CheckType(value, type, path)) return;
            if (attr.TryGetProperty("enum", out var en))
            {
                var key = value.ValueKind == JsonValueKind.Number ? value.GetRawText() : value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                if (key is null || !en.TryGetProperty(key, out var member))
                    Error("not-in-enum", path, $"{value.GetRawText()} is not one of {string.Join(", ", en.EnumerateObject().Select(m => m.Name))}");
                else if (member.TryGetProperty("@deprecated", out _))
                    Warning("deprecated", path, $"enum value {key} is deprecated");
            }
        }

        /// <summary>Follows a data type to its base type (string_t, integer_t, long_t, float_t, boolean_t, json_t), checking each level's regex, max_len and range.</summary>
        private bool CheckType(JsonElement value, string type, string path)
        {
            var chain = new List<(string Name, JsonElement Def)>();
            for (var t = type; ;)
            {
                if (!schema._types.TryGetProperty(t, out var def)) { Error("wrong-type", path, $"unknown data type {t}"); return false; }
                chain.Add((t, def));
                if (def.TryGetProperty("type", out var parent) && parent.GetString() is { } p && p != t) t = p;
                else break;
            }
            var baseType = chain[^1].Name;
            bool ok = baseType switch
            {
                "string_t" => value.ValueKind == JsonValueKind.String,
                "integer_t" => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
                "long_t" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
                "float_t" => value.ValueKind == JsonValueKind.Number,
                "boolean_t" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                "json_t" => true,
                _ => false,
            };
            if (!ok) { Error("wrong-type", path, $"{value.ValueKind} does not fit {type} ({baseType})"); return false; }

            foreach (var (name, def) in chain)
            {
                if (value.ValueKind == JsonValueKind.String)
                {
                    var s = value.GetString()!;
                    if (def.TryGetProperty("max_len", out var ml) && s.Length > ml.GetInt32())
                        Error("bad-format", path, $"longer than {name}'s {ml.GetInt32()} characters");
                    if (def.TryGetProperty("regex", out var rx) && !Regex.IsMatch(s, rx.GetString()!))
                        Error("bad-format", path, $"'{s}' does not match {name}");
                }
                if (value.ValueKind == JsonValueKind.Number && def.TryGetProperty("range", out var range) && value.TryGetInt64(out var n)
                    && (n < range[0].GetInt64() || n > range[1].GetInt64()))
                    Error("bad-format", path, $"{n} is outside {name}'s range {range}");
            }
            if (type == "timestamp_t" && value.GetInt64() < MinMilliseconds)
                Error("timestamp-in-seconds", path, $"{value.GetInt64()} is not milliseconds since the epoch");
            return true;
        }

        private static string Name(JsonElement definition) =>
            definition.TryGetProperty("name", out var n) ? n.GetString()! : "the class";
    }
}
