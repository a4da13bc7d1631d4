using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Cli;

/// <summary>The rule catalog: `moat rules list|show|docs|navigator`, built-in and custom rules alike.</summary>
public sealed class CatalogCommandTests
{
    private const string CustomRule = """
        id: Custom.Evil<script>
        title: "<img src=x onerror=alert(1)> title"
        severity: low
        mitre:
          - { tactic: TA0007, technique: T1580 }
        tags: [custom]
        condition:
          all:
            - eventSource: sts.amazonaws.com
            - eventName: GetCallerIdentity
            - errorCode: { null: true }
        tests:
          - { name: fires, match: true, event: { eventSource: sts.amazonaws.com, eventName: GetCallerIdentity } }
          - { name: other, match: false, event: { eventSource: sts.amazonaws.com, eventName: AssumeRole } }
        """;

    [Fact]
    public void List_jsonl_has_the_documented_fields_for_every_rule()
    {
        var run = MoatProcess.Run("rules", "list", "--format", "jsonl");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var r = JsonDocument.Parse(line).RootElement;
            foreach (var f in new[] { "id", "title", "severity", "source", "tests", "eventNames", "tactics" })
                Assert.True(r.TryGetProperty(f, out _), $"{line} lacks {f}");
            Assert.Equal("builtin", r.GetProperty("source").GetString());
            Assert.True(r.GetProperty("tests").GetProperty("matching").GetInt32() >= 3);
            Assert.True(r.GetProperty("tests").GetProperty("nonMatching").GetInt32() >= 3);
        }
    }

    [Fact]
    public void List_filters_by_service_tactic_severity_and_tag()
    {
        static string[] Ids(params string[] args) =>
            MoatProcess.Run(["rules", "list", "--format", "jsonl", .. args]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToArray();
        Assert.All(Ids("--service", "rds"), id => Assert.StartsWith("AWS.RDS.", id));
        Assert.Contains("AWS.RDS.SecurityGroupIngressAuthorized", Ids("--tactic", "TA0003"));
        Assert.Contains("AWS.RDS.SecurityGroupIngressAuthorized", Ids("--tactic", "persistence"));
        Assert.Contains("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", Ids("--severity", "high"));
        Assert.DoesNotContain("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", Ids("--severity", "info"));
        Assert.Contains("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", Ids("--tag", "cis-aws-foundations"));
    }

    [Fact]
    public void Custom_rules_appear_in_the_catalog_like_builtin_ones_with_their_path()
    {
        using var tmp = new TempDir();
        tmp.File("r/custom.yaml", CustomRule.Replace("Custom.Evil<script>", "Custom.CallerIdentity"));
        var run = MoatProcess.Run("rules", "list", "--format", "jsonl", "--rules", Path.Combine(tmp.Path, "r"), "--tag", "custom");
        var r = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("Custom.CallerIdentity", r.GetProperty("id").GetString());
        Assert.EndsWith("custom.yaml", r.GetProperty("source").GetString());
        var show = MoatProcess.Run("rules", "show", "Custom.CallerIdentity", "--rules", Path.Combine(tmp.Path, "r"));
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("eventName: == GetCallerIdentity", show.Stdout);
    }

    [Fact]
    public void Show_gives_goal_strategy_indicators_output_fields_related_rules_tests_and_changelog()
    {
        var run = MoatProcess.Run("rules", "show", "AWS.EC2.SecurityGroupDatabasePortOpenToWorld");
        Assert.Equal(0, run.ExitCode);
        foreach (var section in new[] { "Goal", "Strategy", "Severity", "MITRE ATT&CK", "Indicators", "Output fields", "Triage and response", "Remediation", "Other rules watching the same API calls", "Tests (", "Changelog" })
            Assert.Contains("\n" + section, run.Stdout);
        Assert.Contains("ipRanges.items.cidrIp: covers_all_addresses true   [any item of requestParameters.ipPermissions.items]", run.Stdout);
        Assert.Contains("AWS.EC2.SecurityGroupAdminPortOpenToWorld", run.Stdout[run.Stdout.IndexOf("Other rules", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void Docs_writes_an_offline_site_with_a_page_per_rule_and_escapes_rule_text()
    {
        using var tmp = new TempDir();
        tmp.File("r/custom.yaml", CustomRule.Replace("Custom.Evil<script>", "Custom.Evil"));
        var site = Path.Combine(tmp.Path, "site");
        var run = MoatProcess.Run("rules", "docs", "--out", site, "--rules", Path.Combine(tmp.Path, "r"));
        Assert.Equal(0, run.ExitCode);
        var rules = MoatProcess.Run("rules", "list", "--format", "jsonl", "--rules", Path.Combine(tmp.Path, "r")).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
        foreach (var id in rules)
        {
            Assert.True(File.Exists(Path.Combine(site, "rules", id + ".html")), id);
            Assert.True(File.Exists(Path.Combine(site, "rules", id + ".md")), id);
        }
        var index = File.ReadAllText(Path.Combine(site, "index.html"));
        Assert.Contains("rules/AWS.RDS.SecurityGroupIngressAuthorized.html", index);
        Assert.DoesNotContain("<img src=x", index);
        Assert.Contains("&lt;img src=x", index);
        Assert.DoesNotContain("http://", index.Replace("https://", "")); // no external assets
        Assert.DoesNotContain("<script", string.Concat(Directory.GetFiles(site, "*.html", SearchOption.AllDirectories).Select(File.ReadAllText)));
        var matrix = File.ReadAllText(Path.Combine(site, "attack.html"));
        Assert.Contains("Defense Evasion", matrix);
        Assert.Contains("T1562.007", matrix);
        Assert.Contains("Custom.Evil", matrix);
    }

    [Fact]
    public void Navigator_writes_a_layer_scoring_each_technique_by_its_rules()
    {
        var run = MoatProcess.Run("rules", "navigator");
        Assert.Equal(0, run.ExitCode);
        var layer = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal("enterprise-attack", layer.GetProperty("domain").GetString());
        Assert.Equal("4.5", layer.GetProperty("versions").GetProperty("layer").GetString());
        var t = layer.GetProperty("techniques").EnumerateArray().First(x => x.GetProperty("techniqueID").GetString() == "T1562.007");
        Assert.Equal("defense-evasion", t.GetProperty("tactic").GetString());
        Assert.Contains("AWS.EC2.SecurityGroupDatabasePortOpenToWorld", t.GetProperty("comment").GetString());
        Assert.True(t.GetProperty("score").GetInt32() >= 3);
    }
}
