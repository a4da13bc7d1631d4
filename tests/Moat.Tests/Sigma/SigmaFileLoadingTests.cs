using Moat.Rules;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>
/// Sigma files as the loader sees them: recognised by content, several documents per file, Sigma 1
/// "action: global" collections, rules for other log sources skipped with a note, and Moat rules alongside.
/// </summary>
public sealed class SigmaFileLoadingTests
{
    private const string RootLogin = """
        title: Root console login
        id: 6a2a9f4e-0000-4000-8000-000000000001
        name: root_console_login
        logsource:
          product: aws
          service: cloudtrail
        detection:
          sel:
            eventName: ConsoleLogin
            userIdentity.type: Root
          condition: sel
        level: high
        """;

    [Fact]
    public void A_file_can_hold_a_rule_a_filter_and_a_correlation()
    {
        var yaml = RootLogin + """

            ---
            title: Office logins are fine
            id: f-office
            logsource:
              product: aws
              service: cloudtrail
            filter:
              rules:
                - 6a2a9f4e-0000-4000-8000-000000000001
              office:
                sourceIPAddress|cidr: 198.51.100.0/24
              condition: not office
            ---
            title: Many root logins
            id: c-many-root
            correlation:
              type: event_count
              rules:
                - root_console_login
              group-by:
                - sourceIPAddress
              timespan: 10m
              condition:
                gte: 5
            """;
        var load = Load(yaml);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        var rule = Assert.Single(load.Rules);
        Assert.Equal("6a2a9f4e-0000-4000-8000-000000000001", rule.Id);
        Assert.Equal("sigma", rule.Document.Kind);
        var c = Assert.Single(load.Correlations);
        Assert.Equal("c-many-root", c.Id);
        // The filter is part of the rule now.
        Assert.True(rule.Matches("""{"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "sourceIPAddress": "203.0.113.1"}"""));
        Assert.False(rule.Matches("""{"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "sourceIPAddress": "198.51.100.20"}"""));
    }

    [Fact]
    public void A_file_can_hold_several_rules()
    {
        var second = RootLogin.Replace("6a2a9f4e-0000-4000-8000-000000000001", "second").Replace("root_console_login", "other").Replace("ConsoleLogin", "GetSessionToken");
        var load = Load(RootLogin + "\n---\n" + second);
        Assert.Empty(load.Diagnostics);
        Assert.Equal(["6a2a9f4e-0000-4000-8000-000000000001", "second"], load.Rules.Select(r => r.Id).ToArray());
    }

    [Fact]
    public void Diagnostics_in_a_later_document_carry_their_line_in_the_file()
    {
        var yaml = RootLogin + "\n---\n" + RootLogin.Replace("6a2a9f4e-0000-4000-8000-000000000001", "second").Replace("condition: sel", "condition: sel and nope");
        var load = Load(yaml);
        Assert.Single(load.Rules);
        // RootLogin is 12 lines and the separator line 13, so the second copy's condition (its line 11) is line 24.
        Assert.Equal(At(24, 3 + "condition: sel and ".Length), Single(load, DiagnosticCodes.SigmaCondition).Span);
    }

    [Fact]
    public void Action_global_shares_its_keys_with_the_following_documents()
    {
        var yaml = """
            action: global
            title: Shared title
            author: Shared Author
            logsource:
              product: aws
              service: cloudtrail
            level: high
            ---
            id: g1
            detection:
              sel:
                eventName: StopLogging
              condition: sel
            ---
            id: g2
            title: Own title
            detection:
              sel:
                eventName: DeleteTrail
              condition: sel
            """;
        var load = Load(yaml);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        Assert.Equal(2, load.Rules.Count);
        var g1 = load.Rules.Single(r => r.Id == "g1");
        var g2 = load.Rules.Single(r => r.Id == "g2");
        Assert.Equal("Shared title", g1.Document.Title);
        Assert.Equal("Own title", g2.Document.Title);
        Assert.All(load.Rules, r => Assert.Equal(Severity.High, r.Document.Severity));
        Assert.All(load.Rules, r => Assert.Equal("Shared Author", r.Document.Author));
        Assert.True(g1.Matches("""{"eventName": "StopLogging"}"""));
        Assert.True(g2.Matches("""{"eventName": "DeleteTrail"}"""));
    }

    [Fact]
    public void Action_global_merges_nested_maps_such_as_a_shared_condition()
    {
        // The usual Sigma 1 collection: the condition and part of the log source are global, the searches per document.
        var yaml = """
            action: global
            title: Trail tampering
            logsource:
              product: aws
            detection:
              source:
                eventSource: cloudtrail.amazonaws.com
              condition: source and sel
            ---
            id: t1
            logsource:
              service: cloudtrail
            detection:
              sel:
                eventName: StopLogging
            ---
            id: t2
            logsource:
              service: cloudtrail
            detection:
              sel:
                eventName: DeleteTrail
            """;
        var load = Load(yaml);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        Assert.Empty(load.Notes);
        Assert.Equal(["t1", "t2"], load.Rules.Select(r => r.Id).ToArray());
        var t1 = load.Rules[0];
        Assert.True(t1.Matches("""{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}"""));
        Assert.False(t1.Matches("""{"eventSource": "s3.amazonaws.com", "eventName": "StopLogging"}"""));
        Assert.False(t1.Matches("""{"eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail"}"""));
    }

    [Fact]
    public void Action_reset_forgets_the_global_keys()
    {
        var yaml = """
            action: global
            logsource:
              product: aws
              service: cloudtrail
            level: critical
            ---
            title: a
            id: a
            detection:
              sel:
                eventName: A
              condition: sel
            ---
            action: reset
            ---
            title: b
            id: b
            logsource:
              product: aws
              service: cloudtrail
            detection:
              sel:
                eventName: B
              condition: sel
            """;
        var load = Load(yaml);
        Assert.Equal(Severity.Critical, load.Rules.Single(r => r.Id == "a").Document.Severity);
        Assert.Equal(Severity.Medium, load.Rules.Single(r => r.Id == "b").Document.Severity);
    }

    [Theory]
    [InlineData("product: windows\n  service: security")]
    [InlineData("product: aws\n  service: guardduty")]
    [InlineData("category: process_creation")]
    public void A_rule_for_another_log_source_is_skipped_with_a_note_and_no_diagnostic(string logsource)
    {
        var yaml = "title: Other\nid: other\nlogsource:\n  " + logsource + "\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n";
        var load = Load(yaml);
        Assert.Empty(load.Rules);
        Assert.Empty(load.Diagnostics);
        var note = Assert.Single(load.Notes);
        Assert.StartsWith(FileName + ":1:", note);
    }

    [Fact]
    public void Aws_without_a_service_counts_as_cloudtrail()
    {
        var load = Load("title: t\nid: t\nlogsource:\n  product: AWS\ndetection:\n  sel:\n    eventName: A\n  condition: sel\n");
        Assert.Single(load.Rules);
        Assert.Empty(load.Notes);
    }

    [Fact]
    public void Skipping_one_document_keeps_the_others_of_the_file()
    {
        var yaml = "title: Other\nid: other\nlogsource:\n  product: windows\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\n" + RootLogin;
        var load = Load(yaml);
        Assert.Single(load.Rules);
        Assert.Single(load.Notes);
        Assert.Empty(load.Diagnostics);
    }

    [Fact]
    public void Moat_and_sigma_rules_load_together()
    {
        var moat = "id: T.Moat\ntitle: Moat rule\nseverity: low\ntests: []\ncondition:\n  eventName: StopLogging\n";
        var load = RuleLoader.LoadTexts([("moat.yaml", moat), ("sigma.yml", RootLogin)]);
        Assert.DoesNotContain(load.Diagnostics, d => d.Level == DiagnosticLevel.Error);
        Assert.Equal(2, load.Rules.Count);
        Assert.Equal("moat", load.Rules.Single(r => r.Id == "T.Moat").Document.Kind);
        Assert.Equal("sigma", load.Rules.Single(r => r.Id != "T.Moat").Document.Kind);

        var findings = FindingsFor(load.Rules, """{"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com"}""");
        Assert.Equal("T.Moat", Assert.Single(findings).RuleId);
        findings = FindingsFor(load.Rules, """{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "userIdentity": {"type": "Root"}}""");
        Assert.Equal("6a2a9f4e-0000-4000-8000-000000000001", Assert.Single(findings).RuleId);
    }

    [Fact]
    public void A_sigma_rule_and_a_moat_rule_may_not_share_an_id()
    {
        var moat = "id: dup\ntitle: Moat rule\nseverity: low\ntests: []\ncondition:\n  eventName: StopLogging\n";
        var sigma = "title: s\nid: dup\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: A\n  condition: sel\n";
        var load = RuleLoader.LoadTexts([("moat.yaml", moat), ("sigma.yml", sigma)]);
        Assert.Single(load.Rules);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.DuplicateId);
    }

    [Fact]
    public void A_rule_without_id_uses_its_name_and_one_without_either_is_reported()
    {
        var named = Load("title: t\nname: by_name\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: A\n  condition: sel\n");
        Assert.Equal("by_name", Assert.Single(named.Rules).Id);

        var anonymous = Load("title: t\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: A\n  condition: sel\n");
        Assert.Empty(anonymous.Rules);
        Assert.Equal(At(1, 1), Single(anonymous, DiagnosticCodes.MissingField).Span);
    }

    [Fact]
    public void An_unknown_level_is_reported()
    {
        var load = Load(RuleText("sel:\n  eventName: A\ncondition: sel", "level: severe\n"));
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 3, 8), Single(load, DiagnosticCodes.BadSeverity).Span);
    }
}
