using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// <c>--format guardduty</c>: one finding per line shaped like an Amazon GuardDuty finding (API field names,
/// camelCase), so tools built for GuardDuty RDS Protection can read Moat's login findings unchanged. CloudTrail
/// findings use the same envelope with an <c>AWS_API_CALL</c> action.
/// </summary>
public sealed class GuardDutyFindingWriter(Stream output) : IDisposable
{
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(8 << 10);
    private Utf8JsonWriter? _writer;

    /// <summary>GuardDuty's numeric severity: Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9 (critical is kept for attack sequences).</summary>
    public static double Numeric(Severity s) => s switch
    {
        Severity.Info => 1.0,
        Severity.Low => 2.0,
        Severity.Medium => 5.0,
        Severity.High => 8.0,
        _ => 8.9,
    };

    public void Write(Finding f)
    {
        _writer ??= new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var w = _writer;
        var d = f.Login;
        var first = d is null ? f.EventTime : Moat.Logins.LoginFindings.Time(d.FirstSeen);
        var last = d is null ? f.EventTime : Moat.Logins.LoginFindings.Time(d.LastSeen);
        WriteObject(w, f, new GuardDutyEnvelope(Id(f), f.Severity, f.Title, first, last, f.AccountId, d?.Count ?? 1, false,
            d?.SuccessfulLoginCount ?? 0, d?.FailedLoginCount ?? 0,
            new { moatRuleId = f.RuleId, severityReason = f.SeverityReason, runbook = f.Runbook, remediation = f.Remediation }));
        w.Flush();
        output.Write(_buffer.WrittenSpan);
        output.WriteByte((byte)'\n');
        _buffer.ResetWrittenCount();
        w.Reset(_buffer);
    }

    /// <summary>
    /// One GuardDuty-shaped finding. The envelope holds what differs between a single finding and an alert that
    /// groups several (id, severity, times, count, archived, login counts); the rest comes from the finding.
    /// </summary>
    internal static void WriteObject(Utf8JsonWriter w, Finding f, GuardDutyEnvelope e)
    {
        var d = f.Login;
        w.WriteStartObject();
        w.WriteString("schemaVersion", "2.0");
        w.WriteString("id", e.Id);
        w.WriteString("type", f.RuleId);
        w.WriteNumber("severity", Numeric(e.Severity));
        w.WriteString("title", e.Title);
        w.WriteString("description", f.Description);
        if (e.AccountId is not null) w.WriteString("accountId", e.AccountId);
        if (f.Region is not null) w.WriteString("region", f.Region);
        w.WriteString("partition", "aws");
        w.WriteString("createdAt", e.FirstSeen);
        w.WriteString("updatedAt", e.LastSeen);

        w.WriteStartObject("resource");
        if (d is not null)
        {
            w.WriteString("resourceType", "RDSDBInstance");
            w.WriteStartObject("rdsDbInstanceDetails");
            w.WriteString("dbInstanceIdentifier", d.Database);
            if (d.Cluster is not null) w.WriteString("dbClusterIdentifier", d.Cluster);
            if (d.Engine is not null) w.WriteString("engine", d.Engine);
            w.WriteEndObject();
            w.WriteStartObject("rdsDbUserDetails");
            if (d.User is not null) w.WriteString("user", d.User);
            if (d.Application is not null) w.WriteString("application", d.Application);
            if (d.DatabaseName is not null) w.WriteString("database", d.DatabaseName);
            if (d.Ssl is not null) w.WriteString("ssl", d.Ssl);
            if (d.AuthMethod is not null) w.WriteString("authMethod", d.AuthMethod);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("resourceType", f.Resource.FirstOrDefault(r => r.Key == "type").Value?.FirstOrDefault() ?? "AwsResource");
            foreach (var (k, v) in f.Resource.Where(r => r.Key != "type")) w.WriteString(k, string.Join("\n", v));
        }
        w.WriteEndObject();

        w.WriteStartObject("service");
        w.WriteString("serviceName", "guardduty");
        w.WriteString("featureName", d is null ? "CloudTrail" : "RdsLoginEvents");
        w.WriteString("resourceRole", "TARGET");
        w.WriteBoolean("archived", e.Archived);
        w.WriteNumber("count", e.Count);
        w.WriteString("eventFirstSeen", e.FirstSeen);
        w.WriteString("eventLastSeen", e.LastSeen);
        w.WriteStartObject("action");
        if (d is not null)
        {
            w.WriteString("actionType", "RDS_LOGIN_ATTEMPT");
            w.WriteStartObject("rdsLoginAttemptAction");
            w.WriteStartObject("remoteIpDetails");
            w.WriteString(d.RemoteIp.Contains(':') ? "ipAddressV6" : "ipAddressV4", d.RemoteIp);
            if (d.AsnOrg is not null)
            {
                w.WriteStartObject("organization");
                var space = d.AsnOrg.IndexOf(' ');
                w.WriteString("asn", space > 2 && d.AsnOrg.StartsWith("AS", StringComparison.Ordinal) ? d.AsnOrg[2..space] : d.AsnOrg);
                w.WriteString("asnOrg", space > 0 ? d.AsnOrg[(space + 1)..] : d.AsnOrg);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("LoginAttributes"); // capital L, as GuardDuty's API has it
            w.WriteStartObject();
            if (d.User is not null) w.WriteString("user", d.User);
            if (d.Application is not null) w.WriteString("application", d.Application);
            w.WriteNumber("successfulLoginAttempts", e.SuccessfulLogins);
            w.WriteNumber("failedLoginAttempts", e.FailedLogins);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("actionType", "AWS_API_CALL");
            w.WriteStartObject("awsApiCallAction");
            w.WriteString("api", f.EventName);
            w.WriteString("serviceName", f.EventSource);
            if (f.SourceIp is not null)
            {
                w.WriteStartObject("remoteIpDetails");
                w.WriteString("ipAddressV4", f.SourceIp);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (d?.ThreatListName is { } list)
        {
            w.WriteStartObject("evidence");
            w.WriteStartArray("threatIntelligenceDetails");
            w.WriteStartObject();
            w.WriteString("threatListName", list);
            w.WriteStartArray("threatNames");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (d is not null && d.Unusual.Count > 0)
        {
            // detection.anomaly: the unusual values beside the profile of each dimension (what the console shows).
            w.WriteStartObject("detection");
            w.WriteStartObject("anomaly");
            w.WriteStartObject("profiles");
            w.WriteStartObject("frequency");
            foreach (var (dim, values) in d.Historical)
            {
                w.WriteStartArray(dim);
                foreach (var (value, count, freq) in values)
                {
                    w.WriteStartObject();
                    w.WriteString("profileType", "FREQUENCY");
                    w.WriteString("profileSubtype", freq);
                    w.WriteStartObject("observations");
                    w.WriteStartArray("text");
                    w.WriteStringValue(value);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    w.WriteNumber("count", count);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("unusual");
            w.WriteStartObject("behavior");
            w.WriteStartObject("frequency");
            foreach (var (dim, value) in d.Unusual)
            {
                w.WriteStartObject(dim);
                w.WriteString("profileType", "FREQUENCY");
                w.WriteString("profileSubtype", "UNSEEN");
                w.WriteStartObject("observations");
                w.WriteStartArray("text");
                w.WriteStringValue(value);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteStartObject("additionalInfo");
        w.WriteString("type", "default");
        w.WriteString("value", JsonSerializer.Serialize(e.AdditionalInfo));
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A stable id: the same finding from the same input gets the same id on every run.</summary>
    private static string Id(Finding f)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{f.DedupKey}|{f.EventTime}|{f.EventId}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    public void Dispose()
    {
        _writer?.Dispose();
        output.Flush();
    }
}

/// <summary>
/// What a GuardDuty-shaped finding takes from its source rather than from the finding: for a single finding its
/// own values, for an alert the alert's. Times are already formatted.
/// </summary>
internal sealed record GuardDutyEnvelope(
    string Id,
    Severity Severity,
    string Title,
    string? FirstSeen,
    string? LastSeen,
    string? AccountId,
    long Count,
    bool Archived,
    long SuccessfulLogins,
    long FailedLogins,
    object AdditionalInfo);
