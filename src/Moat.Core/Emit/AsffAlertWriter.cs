using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Moat.Alerts;
using Moat.Rules;

namespace Moat.Emit;

/// <summary>
/// <c>moat alerts list --format asff</c>: one AWS Security Finding Format (ASFF 2018-10-08) finding per alert and
/// line, as Security Hub CSPM's <c>BatchImportFindings</c> takes it from a custom integration (the account's
/// <c>default</c> product); <see cref="WriteBatch"/> writes ready request bodies instead. Mapping choices:
/// <list type="bullet">
/// <item><c>Id</c> is <c>moat/</c> + the alert id: stable, so re-importing an alert updates its finding, and
/// prefixed because every custom integration of an account shares the default product.</item>
/// <item><c>CreatedAt</c>/<c>UpdatedAt</c> are the first and last match's event times, <c>FirstObservedAt</c>/
/// <c>LastObservedAt</c> the span the matches observed. Re-exporting an unchanged alert gives the same
/// <c>UpdatedAt</c>, which Security Hub ignores; a new match moves it forward and updates the finding. A closed
/// alert gets the export time (<see cref="AlertExportOptions.Clock"/>) when that is later, since the close is
/// newer than any match and Security Hub drops updates that are not.</item>
/// <item>Closed alerts are <c>RecordState</c> ARCHIVED and <c>Workflow.Status</c> RESOLVED, with the reason as
/// <c>Note</c>. Security Hub takes Workflow and Note from a provider only when it creates the finding; after that
/// only RecordState follows the alert.</item>
/// <item><c>Types</c> come from the rule's MITRE tactics (<c>TTPs/Defense Evasion/RULE-ID</c>; exfiltration and
/// impact under <c>Effects</c>), also sent in <c>FindingProviderFields</c> as AWS asks providers to.</item>
/// <item>Text fields are cut to ASFF's limits (Title 256, Description 1024, Recommendation and Note 512,
/// ProductFields values 2048) with an ellipsis; ProductFields hold strings only.</item>
/// </list>
/// An alert that names no account (database login alerts) takes <see cref="AlertExportOptions.AccountId"/>; with
/// neither it is skipped, because Security Hub rejects a finding without a 12-digit account.
/// </summary>
public sealed class AsffAlertWriter(Stream output, AlertExportOptions? options = null) : IAlertWriter
{
    public const string SchemaVersion = "2018-10-08";

    /// <summary>BatchImportFindings takes at most 100 findings and 6 MB per call.</summary>
    public const int MaxBatchFindings = 100;

    public const int MaxBatchBytes = 6 * 1024 * 1024;

    public const int MaxTitle = 256;
    public const int MaxDescription = 1024;
    public const int MaxRecommendation = 512;
    public const int MaxNote = 512;
    public const int MaxProductFields = 50;
    public const int MaxProductFieldKey = 128;
    public const int MaxProductFieldValue = 2048;

    // Resource.Details.Other: at most 50 pairs, keys under 128 characters and values under 1,024.
    private const int MaxOtherFields = 50;
    private const int MaxOtherKey = 127;
    private const int MaxOtherValue = 1023;

    /// <summary>
    /// The resource types ASFF defines (Resources[].Type); any other type is sent as <c>Other</c>. AwsAccount is
    /// what Security Hub's own account-level findings use.
    /// </summary>
    private static readonly FrozenSet<string> ResourceTypes = new[]
    {
        "AwsAccount", "AwsApiGatewayRestApi", "AwsApiGatewayStage", "AwsApiGatewayV2Api", "AwsApiGatewayV2Stage",
        "AwsAutoScalingAutoScalingGroup", "AwsAutoScalingLaunchConfiguration", "AwsCertificateManagerCertificate",
        "AwsCloudFormationStack", "AwsCloudFrontDistribution", "AwsCloudTrailTrail", "AwsCloudWatchAlarm", "AwsCodeBuildProject",
        "AwsDynamoDbTable", "AwsEc2Eip", "AwsEc2Instance", "AwsEc2NetworkAcl", "AwsEc2NetworkInterface", "AwsEc2SecurityGroup",
        "AwsEc2Subnet", "AwsEc2TransitGateway", "AwsEc2Volume", "AwsEc2Vpc", "AwsEc2VpcEndpointService", "AwsEc2VpcPeeringConnection",
        "AwsEc2VpnConnection", "AwsEcrContainerImage", "AwsEcrRepository", "AwsEcsCluster", "AwsEcsContainer", "AwsEcsService",
        "AwsEcsTask", "AwsEcsTaskDefinition", "AwsEfsAccessPoint", "AwsEksCluster", "AwsElasticBeanstalkEnvironment",
        "AwsElasticsearchDomain", "AwsElbLoadBalancer", "AwsElbv2LoadBalancer", "AwsIamAccessKey", "AwsIamGroup", "AwsIamPolicy",
        "AwsIamRole", "AwsIamUser", "AwsKinesisStream", "AwsKmsKey", "AwsLambdaFunction", "AwsLambdaLayerVersion",
        "AwsNetworkFirewallFirewall", "AwsNetworkFirewallFirewallPolicy", "AwsNetworkFirewallRuleGroup", "AwsOpenSearchServiceDomain",
        "AwsRdsDbCluster", "AwsRdsDbClusterSnapshot", "AwsRdsDbInstance", "AwsRdsDbSecurityGroup", "AwsRdsDbSnapshot",
        "AwsRdsEventSubscription", "AwsRedshiftCluster", "AwsS3AccountPublicAccessBlock", "AwsS3Bucket", "AwsS3Object",
        "AwsSecretsManagerSecret", "AwsSnsTopic", "AwsSqsQueue", "AwsSsmPatchCompliance", "AwsWafRateBasedRule",
        "AwsWafRegionalRateBasedRule", "AwsWafRegionalRule", "AwsWafRegionalRuleGroup", "AwsWafRegionalWebAcl", "AwsWafRule",
        "AwsWafRuleGroup", "AwsWafWebAcl", "AwsXrayEncryptionConfig", "Container",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly AlertLines _lines = new(output);
    private readonly AlertExportOptions _options = options ?? new AlertExportOptions();

    public IReadOnlyList<SkippedAlert> Skipped => _lines.Skipped;

    public bool Write(Alert alert) => _lines.Write(alert, Render, Check);

    /// <summary>
    /// Writes the alerts as BatchImportFindings request bodies, one <c>{"Findings":[…]}</c> per line, each within
    /// the call's limits (100 findings, 6 MB): each line is what <c>aws securityhub batch-import-findings
    /// --cli-input-json</c> takes. Returns the number of findings written.
    /// </summary>
    public int WriteBatch(IEnumerable<Alert> alerts)
    {
        var batch = new List<byte[]>(MaxBatchFindings);
        long bytes = 0;
        int written = 0;
        foreach (var alert in alerts)
        {
            if (Render(alert) is not { } finding) continue;
            // 16 bytes cover {"Findings":[ ]} and the commas.
            if (batch.Count == MaxBatchFindings || (batch.Count > 0 && bytes + finding.Length + 16 > MaxBatchBytes))
            {
                Flush(batch);
                bytes = 0;
            }
            batch.Add(finding);
            bytes += finding.Length + 1;
            written++;
        }
        Flush(batch);
        return written;
    }

    private void Flush(List<byte[]> batch)
    {
        if (batch.Count == 0) return;
        output.Write("{\"Findings\":["u8);
        for (int i = 0; i < batch.Count; i++)
        {
            if (i > 0) output.WriteByte((byte)',');
            output.Write(batch[i]);
        }
        output.Write("]}\n"u8);
        batch.Clear();
    }

    private byte[]? Render(Alert alert)
    {
        var facts = AlertFacts.TryOf(alert, out var error);
        if (facts is not null) error = Check(facts);
        if (facts is null || error is not null)
        {
            _lines.Skip(new SkippedAlert(alert.Id, error ?? "not expressible as ASFF"));
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(8 << 10);
        using (var w = new Utf8JsonWriter(buffer, AlertLines.JsonOptions)) Render(w, facts);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL.</summary>
    public static string Label(Severity s) => s switch
    {
        Severity.Info => "INFORMATIONAL",
        Severity.Low => "LOW",
        Severity.Medium => "MEDIUM",
        Severity.High => "HIGH",
        _ => "CRITICAL",
    };

    /// <summary>The (deprecated) 0–100 severity, the value Security Hub itself derives from each label.</summary>
    public static int Normalized(Severity s) => s switch
    {
        Severity.Info => 0,
        Severity.Low => 1,
        Severity.Medium => 40,
        Severity.High => 70,
        _ => 90,
    };

    /// <summary>
    /// A CloudFormation type as ASFF names it: <c>AWS::EC2::SecurityGroup</c> → <c>AwsEc2SecurityGroup</c>,
    /// <c>AWS::RDS::DBInstance</c> → <c>AwsRdsDbInstance</c> (an acronym keeps only its first letter upper case);
    /// a type ASFF does not define is <c>Other</c>.
    /// </summary>
    public static string ResourceType(string? cloudFormationType)
    {
        if (cloudFormationType is null) return "Other";
        var sb = new StringBuilder();
        foreach (var part in cloudFormationType.Split("::", StringSplitOptions.RemoveEmptyEntries))
        {
            for (int i = 0; i < part.Length; i++)
            {
                char c = part[i];
                bool upper = char.IsUpper(c);
                bool prevUpper = i > 0 && (char.IsUpper(part[i - 1]) || char.IsDigit(part[i - 1]));
                bool nextLower = i + 1 < part.Length && char.IsLower(part[i + 1]);
                // Inside a run of capitals (EC2, DB in DBInstance) letters go lower case, except the one that starts the next word.
                sb.Append(upper && prevUpper && !nextLower ? char.ToLowerInvariant(c) : c);
            }
        }
        var name = sb.ToString();
        return ResourceTypes.TryGetValue(name, out var known) ? known : "Other";
    }

    private string? Check(AlertFacts x) =>
        AccountOf(x) is null
            ? "ASFF needs the 12-digit AWS account the finding belongs to; the alert names none (give AlertExportOptions.AccountId)"
            : null;

    private string? AccountOf(AlertFacts x) =>
        new[] { x.Account, _options.AccountId }.FirstOrDefault(a => a is { Length: 12 } && a.All(char.IsAsciiDigit));

    private void Render(Utf8JsonWriter w, AlertFacts x)
    {
        var a = x.Alert;
        var f = x.First;
        var account = AccountOf(x)!;
        var region = _options.Region ?? x.Region ?? "us-east-1";
        var types = AttackTaxonomy.FindingTypes(f);
        var updated = a.LastSeen;
        if (x.Closed && _options.Clock.GetUtcNow() is var now && now > updated) updated = now;
        var updatedAt = AlertFacts.Iso(updated);

        w.WriteStartObject();
        w.WriteString("SchemaVersion", SchemaVersion);
        w.WriteString("Id", "moat/" + a.Id);
        w.WriteString("ProductArn", $"arn:{PartitionOf(region)}:securityhub:{region}:{account}:product/{account}/default");
        // A custom integration may name itself; AWS's own products get these filled in.
        w.WriteString("ProductName", "Moat");
        w.WriteString("CompanyName", "Moat");
        w.WriteString("GeneratorId", AlertFacts.Cut(a.RuleId, 512));
        w.WriteString("AwsAccountId", account);
        WriteStrings(w, "Types", types);
        w.WriteString("CreatedAt", AlertFacts.Iso(a.FirstSeen));
        w.WriteString("UpdatedAt", updatedAt);
        w.WriteString("FirstObservedAt", AlertFacts.Iso(x.ObservedFrom));
        w.WriteString("LastObservedAt", AlertFacts.Iso(x.ObservedTo));
        w.WriteStartObject("Severity");
        w.WriteString("Label", Label(a.Severity));
        w.WriteNumber("Normalized", Normalized(a.Severity));
        w.WriteString("Original", a.Severity.Name());
        w.WriteEndObject();
        w.WriteString("Title", AlertFacts.Cut(a.Title.Length > 0 ? a.Title : a.RuleId, MaxTitle));
        var description = f.Description.Length > 0 ? f.Description : a.Title.Length > 0 ? a.Title : a.RuleId;
        w.WriteString("Description", AlertFacts.Cut(description, MaxDescription));

        var recommendation = f.Remediation.Length > 0 ? f.Remediation : f.Runbook;
        var url = f.References.FirstOrDefault(r => r.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (recommendation.Length > 0 || url is not null)
        {
            w.WriteStartObject("Remediation");
            w.WriteStartObject("Recommendation");
            if (recommendation.Length > 0) w.WriteString("Text", AlertFacts.Cut(recommendation, MaxRecommendation));
            if (url is not null) w.WriteString("Url", url);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteStartObject("ProductFields");
        foreach (var (k, v) in ProductFields(x)) w.WriteString(AlertFacts.Cut(k, MaxProductFieldKey), AlertFacts.Cut(v, MaxProductFieldValue));
        w.WriteEndObject();

        w.WriteStartArray("Resources");
        w.WriteStartObject();
        if (x.ResourceId is { } id)
        {
            w.WriteString("Type", ResourceType(x.ResourceType));
            w.WriteString("Id", id);
        }
        else
        {
            // No resource named: the finding is about the account, as Security Hub's own account-level findings are.
            w.WriteString("Type", "AwsAccount");
            w.WriteString("Id", $"AWS::::Account:{account}");
        }
        w.WriteString("Partition", x.Partition);
        if (x.Region is { Length: <= 16 } resourceRegion) w.WriteString("Region", resourceRegion);
        w.WriteString("ResourceRole", "Target");
        var other = f.Resource.Where(r => r.Key is not ("type" or "id" or "arn")).Take(MaxOtherFields).ToList();
        if (other.Count > 0)
        {
            w.WriteStartObject("Details");
            w.WriteStartObject("Other");
            foreach (var (k, v) in other) w.WriteString(AlertFacts.Cut(k, MaxOtherKey), AlertFacts.Cut(string.Join("\n", v), MaxOtherValue));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartObject("Workflow");
        w.WriteString("Status", x.Closed ? "RESOLVED" : "NEW");
        w.WriteEndObject();
        w.WriteString("RecordState", x.Closed ? "ARCHIVED" : "ACTIVE");
        if (a.StatusReason is { Length: > 0 } reason)
        {
            w.WriteStartObject("Note");
            w.WriteString("Text", AlertFacts.Cut(reason, MaxNote));
            w.WriteString("UpdatedBy", "moat");
            w.WriteString("UpdatedAt", updatedAt);
            w.WriteEndObject();
        }

        w.WriteStartObject("FindingProviderFields");
        w.WriteStartObject("Severity");
        w.WriteString("Label", Label(a.Severity));
        w.WriteString("Original", a.Severity.Name());
        w.WriteEndObject();
        WriteStrings(w, "Types", types);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>What ASFF has no field for, as <c>moat/…</c> strings (ProductFields take strings only).</summary>
    private static List<KeyValuePair<string, string>> ProductFields(AlertFacts x)
    {
        var a = x.Alert;
        var f = x.First;
        var fields = new List<KeyValuePair<string, string>>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value) && fields.Count < MaxProductFields) fields.Add(new("moat/" + key, value));
        }
        Add("alertId", a.Id);
        Add("ruleId", a.RuleId);
        Add("ruleKind", f.RuleKind);
        Add("dedupKey", a.DedupKey);
        Add("status", a.Status);
        Add("statusReason", a.StatusReason);
        Add("count", a.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("severity", a.Severity.Name());
        Add("severityReason", f.SeverityReason);
        Add("principal", a.Principal ?? f.Principal);
        Add("sourceIp", f.SourceIp);
        Add("eventSource", f.EventSource);
        Add("eventName", f.EventName);
        Add("firstEventId", x.Matches[0].EventId);
        Add("lastEventId", x.Matches[^1].EventId);
        Add("mitre/tactics", string.Join(",", f.Mitre.Select(m => m.Tactic).OfType<string>().Distinct()));
        Add("mitre/techniques", string.Join(",", f.Mitre.Select(m => m.Technique).OfType<string>().Distinct()));
        Add("tags", string.Join(",", f.Tags));
        Add("runbook", f.Runbook);
        return fields;
    }

    private static string PartitionOf(string region) =>
        region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    public void Dispose() => _lines.Dispose();
}
