using System.Globalization;
using System.Text.Json;
using Moat.Emit;
using Moat.Rules;

namespace Moat.Logins;

/// <summary>Turns a login finding into Moat's common finding: what happened, why it matters, what to do.</summary>
public static class LoginFindings
{
    private static readonly Dictionary<string, (string Title, string Why, string Tactic, string Technique)> Meta = new()
    {
        [LoginDetector.AnomalousSuccess] = ("Anomalous successful login", "A login succeeded with characteristics this database has not seen for the user (a new user, source network or ASN organisation, application or database). It may be stolen credentials in use.", "TA0006", "T1078"),
        [LoginDetector.AnomalousFailure] = ("Anomalous failed login", "Logins failed for a user or from a source this database does not know: someone is trying credentials.", "TA0006", "T1110"),
        [LoginDetector.SuccessfulBruteForce] = ("Successful brute force", "A public address failed to log in repeatedly and then succeeded with unusual characteristics: a password was probably guessed.", "TA0006", "T1110"),
        [LoginDetector.MaliciousSuccess] = ("Successful login from a malicious address", "An address on a threat list logged in successfully: assume the credentials are compromised.", "TA0006", "T1078"),
        [LoginDetector.MaliciousFailure] = ("Failed login from a malicious address", "An address on a threat list tried to log in (wrong user name or password).", "TA0006", "T1110"),
        [LoginDetector.MaliciousProbe] = ("Probe from a malicious address", "An address on a threat list connected without trying to authenticate: it is mapping the database.", "TA0007", "T1046"),
        [LoginDetector.TorSuccess] = ("Successful login from a Tor exit node", "A login succeeded from a Tor exit node: the caller hides where it is.", "TA0006", "T1078"),
        [LoginDetector.TorFailure] = ("Failed login from a Tor exit node", "A Tor exit node tried to log in.", "TA0006", "T1110"),
        [LoginDetector.TorProbe] = ("Probe from a Tor exit node", "A Tor exit node connected without trying to authenticate.", "TA0007", "T1046"),
    };

    public static Finding ToFinding(LoginFindingDetails d, Severity severity, string? severityReason)
    {
        var meta = Meta[d.Type];
        var who = d.User ?? "(unknown user)";
        var title = $"{meta.Title} to {d.Database} by {who} from {d.RemoteIp}";
        var resource = new List<KeyValuePair<string, IReadOnlyList<string>>>
        {
            new("type", ["RDSDBInstance"]),
            new("id", [d.Database]),
        };
        void Add(string k, string? v) { if (!string.IsNullOrEmpty(v)) resource.Add(new(k, [v])); }
        Add("cluster", d.Cluster);
        Add("engine", d.Engine);
        Add("user", d.User);
        Add("application", d.Application);
        Add("database", d.DatabaseName);
        Add("ssl", d.Ssl);
        Add("authMethod", d.AuthMethod);
        Add("remoteIp", d.RemoteIp);
        Add("remoteNetwork", d.RemoteIsPrivate ? "private" : "public");
        Add("asnOrg", d.AsnOrg);
        Add("threatListName", d.ThreatListName);
        Add("successfulLoginCount", d.SuccessfulLoginCount.ToString(CultureInfo.InvariantCulture));
        Add("failedLoginCount", d.FailedLoginCount.ToString(CultureInfo.InvariantCulture));
        Add("incompleteConnectionCount", d.IncompleteConnectionCount.ToString(CultureInfo.InvariantCulture));
        Add("count", d.Count.ToString(CultureInfo.InvariantCulture));
        Add("firstSeen", Time(d.FirstSeen));
        Add("lastSeen", Time(d.LastSeen));
        if (d.Unusual.Count > 0) resource.Add(new("unusual", d.Unusual.Select(u => $"{u.Key}: {u.Value}").ToList()));
        if (d.Historical.Count > 0)
            resource.Add(new("historical", d.Historical.Select(h => $"{h.Key}: " + (h.Value.Count == 0 ? "(none)" : string.Join(", ", h.Value.Select(v => $"{v.Value} ({v.Count}, {v.Frequency.ToLowerInvariant()})")))).ToList()));

        var userSql = d.Engine is "mysql" or "mariadb"
            ? $"ALTER USER '{Sql(d.User)}'@'%' IDENTIFIED BY '<new password>';"
            : $"ALTER ROLE \"{Sql(d.User)}\" WITH PASSWORD '<new password>';";
        var runbook =
            $"1. What happened: {meta.Why}\n" +
            $"2. Unusual beside historical: {(d.Unusual.Count == 0 ? "(threat-list finding)" : string.Join("; ", d.Unusual.Select(u => $"{u.Key} {u.Value}")))}" +
            (d.Historical.Count == 0 ? "" : " — normally " + string.Join("; ", d.Historical.Select(h => $"{h.Key} " + string.Join(", ", h.Value.Take(3).Select(v => $"{v.Value} ({v.Count})"))))) + ".\n" +
            $"3. Confirm with the owner of database user {who} whether {d.RemoteIp}{(d.AsnOrg is null ? "" : $" ({d.AsnOrg})")} is theirs; review the database's audit log around {Time(d.FirstSeen)}..{Time(d.LastSeen)} for what the session did.\n" +
            $"4. If not expected: rotate the user's password ({userSql}) and end its sessions; restrict the database's security group to known networks: aws rds describe-db-instances --db-instance-identifier {Moat.Compile.Template.ShellQuote(d.Database)} --query 'DBInstances[].VpcSecurityGroups'.\n" +
            $"5. Block {d.RemoteIp} at the network edge and look for the same address in other databases' logins and in CloudTrail (moat scan).";
        var remediation = d.User is null ? "" : userSql;

        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = d.Type,
            database = d.Database,
            cluster = d.Cluster,
            engine = d.Engine,
            user = d.User,
            application = d.Application,
            databaseName = d.DatabaseName,
            ssl = d.Ssl,
            authMethod = d.AuthMethod,
            remoteIp = d.RemoteIp,
            asnOrg = d.AsnOrg,
            threatListName = d.ThreatListName,
            d.SuccessfulLoginCount,
            d.FailedLoginCount,
            d.IncompleteConnectionCount,
            count = d.Count,
            firstSeen = Time(d.FirstSeen),
            lastSeen = Time(d.LastSeen),
            unusual = d.Unusual.ToDictionary(u => u.Key, u => u.Value),
            historical = d.Historical.ToDictionary(h => h.Key, h => h.Value.Select(v => new { value = v.Value, count = v.Count, frequency = v.Frequency })),
            lines = d.Lines,
        }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

        return new Finding(d.Type, title, meta.Why, severity, severityReason, d.Lines.Count > 0 ? d.Lines[^1] : null, Time(d.LastSeen),
            d.Engine, d.Type.Contains("Discovery", StringComparison.Ordinal) ? "Probe" : "Login", null, null, d.User, d.RemoteIp, d.Application,
            resource, [new MitreRef(meta.Tactic, meta.Technique)], ["database-login", "guardduty-rds"], ["https://docs.aws.amazon.com/guardduty/latest/ug/findings-rds-protection.html"],
            [], runbook, remediation, $"{d.Type}:{d.Database}:{d.User}:{d.RemoteIp}", d.Lines.Count > 0 ? d.Lines[0].Split(':')[0] : d.Database, 0, json)
        {
            RuleKind = "login",
            Login = d,
        };
    }

    private static string Sql(string? s) => (s ?? "").Replace("'", "''").Replace("\"", "\"\"");

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
