using System.Globalization;
using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Logins.RealServers;

/// <summary>The nine GuardDuty RDS Protection finding types, as moat's ruleId.</summary>
public static class RdsFindingTypes
{
    public const string AnomalousSuccess = "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin";
    public const string AnomalousFailure = "CredentialAccess:RDS/AnomalousBehavior.FailedLogin";
    public const string SuccessfulBruteForce = "CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce";
    public const string MaliciousSuccess = "CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin";
    public const string MaliciousFailure = "CredentialAccess:RDS/MaliciousIPCaller.FailedLogin";
    public const string MaliciousProbe = "Discovery:RDS/MaliciousIPCaller";
    public const string TorSuccess = "CredentialAccess:RDS/TorIPCaller.SuccessfulLogin";
    public const string TorFailure = "CredentialAccess:RDS/TorIPCaller.FailedLogin";
    public const string TorProbe = "Discovery:RDS/TorIPCaller";
}

/// <summary>
/// Runs `moat scan` on captured server logs with the login options under test:
/// moat scan FILE... --kind K --db-instance NAME --state STATEFILE --learning-period 3s [--threat-list F] [--tor-exits F] --format jsonl --quiet
/// </summary>
public sealed class LoginScan(string kind, string stateFile, string instance = LoginScan.DefaultInstance)
{
    public const string DefaultInstance = "orders-db";

    public string Instance { get; } = instance;

    public List<JsonElement> Run(IEnumerable<string> files, string? threatList = null, string? torExits = null)
    {
        var args = new List<string> { "scan" };
        args.AddRange(files);
        args.AddRange(["--kind", kind, "--db-instance", Instance, "--state", stateFile, "--learning-period", "3s"]);
        if (threatList is not null) args.AddRange(["--threat-list", threatList]);
        if (torExits is not null) args.AddRange(["--tor-exits", torExits]);
        args.AddRange(["--format", "jsonl", "--quiet"]);
        var run = MoatProcess.Run(args);
        Assert.True(run.ExitCode == 0, $"moat {string.Join(' ', args)} exited {run.ExitCode}\nstderr: {run.Stderr}\nstdout: {run.Stdout}");
        var findings = new List<JsonElement>();
        foreach (var line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try { findings.Add(JsonDocument.Parse(line).RootElement.Clone()); }
            catch (JsonException e) { Assert.Fail($"moat printed a line that is not JSON ({e.Message}): {line}"); }
        }
        return findings;
    }

    public List<JsonElement> Run(params string[] files) => Run((IEnumerable<string>)files);
}

/// <summary>Reads and checks login findings as `--format jsonl` prints them.</summary>
public static class LoginFindingAssert
{
    public static string? Top(JsonElement f, string name) =>
        f.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A resource value as text (moat prints the counts as strings; a number is accepted too).</summary>
    public static string? Resource(JsonElement f, string key)
    {
        if (!f.TryGetProperty("resource", out var r) || r.ValueKind != JsonValueKind.Object || !r.TryGetProperty(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
    }

    public static long ResourceCount(JsonElement f, string key)
    {
        var text = Resource(f, key);
        Assert.True(text is not null && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            $"resource.{key} should be a count but is {text ?? "absent"} in {Describe(f)}");
        return long.Parse(text!, CultureInfo.InvariantCulture);
    }

    /// <summary>resource.unusual: one "dimension: value" string or an array of them.</summary>
    public static List<string> Unusual(JsonElement f)
    {
        if (!f.TryGetProperty("resource", out var r) || !r.TryGetProperty("unusual", out var v)) return [];
        return v.ValueKind switch
        {
            JsonValueKind.String => [v.GetString()!],
            JsonValueKind.Array => v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList(),
            _ => [v.GetRawText()],
        };
    }

    public static string Describe(JsonElement f) =>
        $"{Top(f, "ruleId")} {Top(f, "severity")} user={Resource(f, "user") ?? "-"} remoteIp={Resource(f, "remoteIp") ?? Top(f, "sourceIp") ?? "-"} " +
        $"success={Resource(f, "successfulLoginCount")} failed={Resource(f, "failedLoginCount")} incomplete={Resource(f, "incompleteConnectionCount")} count={Resource(f, "count")}";

    public static string Describe(IEnumerable<JsonElement> findings)
    {
        var lines = findings.Select(f => "  " + Describe(f)).ToList();
        return lines.Count == 0 ? "(no findings)" : string.Join('\n', lines);
    }

    /// <summary>The one finding of a type; fails listing every finding when there is none or more than one.</summary>
    public static JsonElement Single(IReadOnlyList<JsonElement> findings, string ruleId)
    {
        var matching = findings.Where(f => Top(f, "ruleId") == ruleId).ToList();
        Assert.True(matching.Count == 1, $"expected exactly one {ruleId} finding, found {matching.Count}; all findings:\n{Describe(findings)}");
        return matching[0];
    }

    public static void None(IReadOnlyList<JsonElement> findings, string ruleId) =>
        Assert.True(findings.All(f => Top(f, "ruleId") != ruleId), $"expected no {ruleId} finding; all findings:\n{Describe(findings)}");

    /// <summary>Checks the type, severity, database instance, user and source of a finding.</summary>
    public static void Is(JsonElement f, string ruleId, string severity, string instance, string? user, string remoteIp)
    {
        var what = Describe(f);
        Assert.True(Top(f, "ruleId") == ruleId, $"ruleId: expected {ruleId} in {what}");
        Assert.True(Top(f, "severity") == severity, $"severity: expected {severity} in {what}");
        Assert.True(Resource(f, "id") == instance, $"resource.id: expected {instance}, got {Resource(f, "id")} in {what}");
        Assert.True(Resource(f, "remoteIp") == remoteIp, $"resource.remoteIp: expected {remoteIp} in {what}");
        Assert.True(Top(f, "sourceIp") == remoteIp, $"sourceIp: expected {remoteIp}, got {Top(f, "sourceIp")} in {what}");
        if (user is null)
            Assert.True(string.IsNullOrEmpty(Resource(f, "user")), $"resource.user: expected none (the caller never named one) in {what}");
        else
        {
            Assert.True(Resource(f, "user") == user, $"resource.user: expected {user} in {what}");
            Assert.True(Top(f, "principal") == user, $"principal: expected {user}, got {Top(f, "principal")} in {what}");
        }
        Assert.False(string.IsNullOrEmpty(Top(f, "eventTime")), $"eventTime missing in {what}");
        Assert.True(f.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.Object, $"event object missing in {what}");
    }

    public static void Counts(JsonElement f, long successful, long failed, long incomplete, long count)
    {
        var what = Describe(f);
        Assert.True(ResourceCount(f, "successfulLoginCount") == successful, $"successfulLoginCount: expected {successful} in {what}");
        Assert.True(ResourceCount(f, "failedLoginCount") == failed, $"failedLoginCount: expected {failed} in {what}");
        Assert.True(ResourceCount(f, "incompleteConnectionCount") == incomplete, $"incompleteConnectionCount: expected {incomplete} in {what}");
        Assert.True(ResourceCount(f, "count") == count, $"count: expected {count} in {what}");
    }

    public static void HasUnusual(JsonElement f, string dimension, string value)
    {
        var unusual = Unusual(f);
        Assert.True(unusual.Contains($"{dimension}: {value}"), $"resource.unusual should hold \"{dimension}: {value}\" but holds [{string.Join(", ", unusual)}] in {Describe(f)}");
    }
}
