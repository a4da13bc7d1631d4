using System.Text;
using System.Text.Json;
using Moat.Compile;
using Moat.Emit;
using Moat.Read;
using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>Lines naming an item bound with `as:` are repeated per item, and dropped when it bound nothing.</summary>
public sealed class TemplateLineTests
{
    private static Finding Find(CompiledRule rule, string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.True(rule.Matches(doc.RootElement), "the rule should match the event");
        return FindingFactory.Create(rule, doc.RootElement, Encoding.UTF8.GetBytes(json), "test", new RecordPosition(1, 0, 1));
    }

    private static CompiledRule RuleWithRemediation(string remediation, string condition) =>
        Rule(condition, "remediation: |\n" + Indent(remediation, 2));

    private const string TwoShapes = """
        any:
          - any_item:
              path: requestParameters.perms
              as: perm
              where: { cidr: 0.0.0.0/0 }
          - any_item:
              path: requestParameters
              as: flat
              where: { cidr: 0.0.0.0/0 }
        """;

    private const string TwoOpenOnePrivate = """
        {"requestParameters": {"groupId": "sg-1", "perms": [
          {"port": 22, "cidr": "0.0.0.0/0"},
          {"port": 5432, "cidr": "10.0.0.0/8"},
          {"port": 3389, "cidr": "0.0.0.0/0"}
        ]}}
        """;

    [Fact]
    public void A_line_naming_an_alias_is_repeated_for_each_matching_item()
    {
        var rule = RuleWithRemediation("""
            revoke on {{requestParameters.groupId}}:
            port {{perm.port}} from {{perm.cidr}}
            done
            """, TwoShapes);
        Assert.Equal("revoke on sg-1:\nport 22 from 0.0.0.0/0\nport 3389 from 0.0.0.0/0\ndone", Find(rule, TwoOpenOnePrivate).Remediation);
    }

    [Fact]
    public void A_line_naming_an_alias_that_bound_nothing_is_dropped()
    {
        var rule = RuleWithRemediation("""
            perm {{perm.port}}
            flat {{flat.port}}
            """, TwoShapes);
        Assert.Equal("perm 22\nperm 3389", Find(rule, TwoOpenOnePrivate).Remediation);
        Assert.Equal("flat 80", Find(rule, """{"requestParameters": {"port": 80, "cidr": "0.0.0.0/0"}}""").Remediation);
    }

    [Fact]
    public void Items_bound_in_a_branch_that_failed_are_forgotten()
    {
        var rule = RuleWithRemediation("""
            a {{a.port}}
            b {{b.port}}
            """, """
            any:
              - all:
                  - any_item: { path: perms, as: a, where: { port: 22 } }
                  - region: nowhere
              - any_item: { path: perms, as: b, where: { port: 80 } }
            """);
        Assert.Equal("b 80", Find(rule, """{"perms": [{"port": 22}, {"port": 80}]}""").Remediation);
    }

    [Fact]
    public void Items_under_not_and_no_item_bind_nothing()
    {
        var rule = RuleWithRemediation("""
            head
            n {{n.port}}
            m {{m.port}}
            """, """
            all:
              - not: { any_item: { path: perms, as: n, where: { port: 22 } } }
              - no_item: { path: perms, as: m, where: { port: 23 } }
            """);
        Assert.Equal("head", Find(rule, """{"perms": [{"port": 80}]}""").Remediation);
    }

    [Fact]
    public void All_items_binds_every_item()
    {
        var rule = RuleWithRemediation("p {{p.port}}", "all_items: { path: perms, as: p, where: { port: { gt: 0 } } }");
        Assert.Equal("p 1\np 2", Find(rule, """{"perms": [{"port": 1}, {"port": 2}]}""").Remediation);
    }

    [Fact]
    public void A_line_naming_two_aliases_is_repeated_for_each_pair()
    {
        var rule = RuleWithRemediation("{{a.v}}-{{b.v}}", """
            all:
              - any_item: { path: as, as: a, where: { v: { exists: true } } }
              - any_item: { path: bs, as: b, where: { v: { exists: true } } }
            """);
        Assert.Equal("1-x\n1-y\n2-x\n2-y", Find(rule, """{"as": [{"v": 1}, {"v": 2}], "bs": [{"v": "x"}, {"v": "y"}]}""").Remediation);
    }

    [Fact]
    public void Identical_repeated_lines_are_written_once()
    {
        var rule = RuleWithRemediation("open {{p.cidr}}", "any_item: { path: perms, as: p, where: { cidr: 0.0.0.0/0 } }");
        Assert.Equal("open 0.0.0.0/0", Find(rule, """{"perms": [{"port": 1, "cidr": "0.0.0.0/0"}, {"port": 2, "cidr": "0.0.0.0/0"}]}""").Remediation);
    }

    [Fact]
    public void Required_on_an_alias_line_drops_only_the_items_without_the_value()
    {
        var rule = RuleWithRemediation("revoke {{p.port}}{{p.ruleId | sh | required}}", "any_item: { path: perms, as: p, where: { open: true } }");
        Assert.Equal("revoke 2sgr-2", Find(rule, """{"perms": [{"port": 1, "open": true}, {"port": 2, "ruleId": "sgr-2", "open": true}]}""").Remediation);
    }

    [Fact]
    public void Root_paths_and_event_fields_mix_with_alias_paths_on_a_line()
    {
        var rule = RuleWithRemediation("{{$.awsRegion}} {{awsRegion}} {{p.port}}", "any_item: { path: perms, as: p, where: { port: 22 } }");
        Assert.Equal("us-east-1 us-east-1 22", Find(rule, """{"awsRegion": "us-east-1", "perms": [{"port": 22}]}""").Remediation);
    }

    [Fact]
    public void Sh_quoting_defuses_attacker_values_in_a_remediation_command()
    {
        var rule = RuleWithRemediation("aws ec2 revoke --group-id {{requestParameters.groupId | sh}}", "eventName: A");
        var json = JsonSerializer.Serialize(new { eventName = "A", requestParameters = new { groupId = "sg-1'; $(rm -rf /) #" } });
        Assert.Equal("aws ec2 revoke --group-id 'sg-1'\\''; $(rm -rf /) #'", Find(rule, json).Remediation);
    }

    [Fact]
    public void Resource_templates_render_one_entry_per_nonempty_line()
    {
        var rule = Rule(TwoShapes, """
            resource:
              id: "{{requestParameters.groupId}}"
              rule: |
                {{perm.port}} from {{perm.cidr}}
                {{flat.port}} from {{flat.cidr}}
              none: "{{requestParameters.missing}}"

            """);
        var resource = Find(rule, TwoOpenOnePrivate).Resource;
        Assert.Equal(["id", "rule"], resource.Select(r => r.Key));
        Assert.Equal(["sg-1"], resource[0].Value);
        Assert.Equal(["22 from 0.0.0.0/0", "3389 from 0.0.0.0/0"], resource[1].Value);
    }

    [Fact]
    public void The_default_dedup_key_names_rule_account_region_and_resource_id()
    {
        var rule = Rule("eventName: A", "resource:\n  id: \"{{requestParameters.groupId}}\"\n");
        Assert.Equal("T.Rule:123:us-east-1:sg-1", Find(rule, """{"eventName": "A", "recipientAccountId": "123", "awsRegion": "us-east-1", "requestParameters": {"groupId": "sg-1"}}""").DedupKey);
        Assert.Equal("T.Rule:456::", Find(rule, """{"eventName": "A", "userIdentity": {"accountId": "456"}}""").DedupKey);
    }

    [Fact]
    public void Rule_severity_in_a_template_is_the_severity_decided_for_the_event()
    {
        var rule = Rule("eventName: A", """
            severity_when:
              - severity: critical
                condition: { open: true }
            runbook: "severity {{rule.severity}}"

            """);
        Assert.Equal("severity critical", Find(rule, """{"eventName": "A", "open": true}""").Runbook);
        Assert.Equal("severity low", Find(rule, """{"eventName": "A"}""").Runbook);
    }
}
