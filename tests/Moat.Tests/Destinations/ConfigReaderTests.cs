using Moat.Destinations;
using Moat.Rules;
using Moat.Tests.Support;

namespace Moat.Tests.Destinations;

public sealed class ConfigReaderTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["SIEM_TOKEN"] = "tok-from-env-SECRET",
        ["SLACK_WEBHOOK"] = "https://hooks.slack.com/services/T0/B0/xoxSECRETxox",
        ["NOT_A_URL"] = "hooks-SECRET-value",
        ["HOST"] = "siem.example.com",
    };

    private static ConfigLoad Read(string yaml) => ConfigReader.Read(yaml.Replace("\r\n", "\n"), "moat.yaml", n => Env.GetValueOrDefault(n));

    private static Diagnostic Only(ConfigLoad load, string code) => Assert.Single(load.Diagnostics, d => d.Code == code);

    [Fact]
    public void Reads_every_destination_setting()
    {
        var load = Read("""
            destinations:
              - name: soc-webhook
                type: webhook
                url: https://${HOST}/moat/ingest
                token: ${SIEM_TOKEN}
                timeout: 2.5s
                retries: 3
                min_severity: high
                rules: [aws.iam.*, "aws.s3.public-*"]
                runbook_url: https://wiki.example.com/alerts/
              - name: chat
                type: slack
                url: ${SLACK_WEBHOOK}
            """);
        Assert.Empty(load.Diagnostics);
        Assert.Equal(2, load.Config.Destinations.Count);
        var soc = load.Config.Destinations[0];
        Assert.Equal("soc-webhook", soc.Name);
        Assert.Equal(DestinationType.Webhook, soc.Type);
        Assert.Equal(new Uri("https://siem.example.com/moat/ingest"), soc.Url);
        Assert.Equal("tok-from-env-SECRET", soc.Token);
        Assert.Equal(TimeSpan.FromSeconds(2.5), soc.Timeout);
        Assert.Equal(3, soc.Retries);
        Assert.Equal(Severity.High, soc.MinSeverity);
        Assert.Equal(["aws.iam.*", "aws.s3.public-*"], soc.Rules);
        Assert.Equal("https://wiki.example.com/alerts/", soc.RunbookUrl);
        Assert.Equal(new SourceSpan("moat.yaml", 2, 5), soc.Span);

        var chat = load.Config.Destinations[1];
        Assert.Equal(DestinationType.Slack, chat.Type);
        Assert.Equal("https://hooks.slack.com/services/T0/B0/xoxSECRETxox", chat.Url.AbsoluteUri);
        Assert.Equal("https://hooks.slack.com/…", chat.RedactedUrl);
        Assert.Null(chat.Token);
        Assert.Equal((TimeSpan.FromSeconds(10), 5, Severity.Medium), (chat.Timeout, chat.Retries, chat.MinSeverity));
        Assert.Empty(chat.Rules);
    }

    [Fact]
    public void Dollar_dollar_brace_is_a_literal_and_a_lone_dollar_is_kept()
    {
        var load = Read("""
            destinations:
              - name: a
                type: webhook
                url: https://example.com/p?x=$$${HOST}&y=$5
            """);
        Assert.Empty(load.Diagnostics);
        Assert.Equal("https://example.com/p?x=$${HOST}&y=$5", load.Config.Destinations[0].Url.OriginalString);
    }

    [Fact]
    public void An_unset_environment_variable_is_reported_where_it_is_referenced()
    {
        var load = Read("""
            destinations:
              - name: a
                type: webhook
                url: https://example.com/
                token: "Bearer-less ${MISSING_TOKEN}"
            """);
        var d = Only(load, DiagnosticCodes.UndefinedVariable);
        Assert.Equal(new SourceSpan("moat.yaml", 5, 25), d.Span);
        Assert.Contains("MISSING_TOKEN", d.Message, StringComparison.Ordinal);
        Assert.Empty(load.Config.Destinations);
    }

    [Fact]
    public void An_unclosed_reference_is_an_error()
    {
        var load = Read("""
            destinations:
              - { name: a, type: webhook, url: "https://example.com/${HOST" }
            """);
        Assert.Equal(new SourceSpan("moat.yaml", 2, 57), Only(load, DiagnosticCodes.UndefinedVariable).Span);
    }

    [Fact]
    public void A_destination_without_a_url_is_reported_at_its_position_and_left_out()
    {
        var load = Read("""
            destinations:
              - name: good
                type: webhook
                url: https://example.com/
              - name: bad
                type: webhook
            """);
        var d = Only(load, DiagnosticCodes.ConfigMissingKey);
        Assert.Equal(new SourceSpan("moat.yaml", 5, 5), d.Span);
        Assert.Contains("destination 'bad'", d.Message, StringComparison.Ordinal);
        Assert.True(load.HasErrors);
        Assert.Equal(["good"], load.Config.Destinations.Select(x => x.Name));
    }

    [Fact]
    public void Reports_each_bad_value_with_its_code_and_position()
    {
        var load = Read("""
            destinations:
              - name: bad
                type: teams
                url: ftp://example.com/x
                timeout: 10q
                retries: many
                min_severity: urgent
                rules: []
                runbook_url: not a url
              - name: "has space"
                type: webhook
                url: https://example.com/
            """);
        Assert.Equal(new SourceSpan("moat.yaml", 3, 11), Only(load, DiagnosticCodes.DestinationBadType).Span);
        Assert.Equal(
            [(4, 10), (9, 18)],
            load.Diagnostics.Where(d => d.Code == DiagnosticCodes.DestinationBadUrl).Select(d => (d.Span.Line, d.Span.Column)));
        Assert.Equal(
            [(5, 14), (6, 14), (7, 19), (8, 12), (10, 11)],
            load.Diagnostics.Where(d => d.Code == DiagnosticCodes.DestinationBadValue).Select(d => (d.Span.Line, d.Span.Column)));
        Assert.Empty(load.Config.Destinations);
    }

    [Fact]
    public void Retries_above_the_cap_and_a_zero_timeout_are_rejected()
    {
        var load = Read("""
            destinations:
              - { name: a, type: webhook, url: "https://example.com/", retries: 21, timeout: 0s }
            """);
        Assert.Equal(2, load.Diagnostics.Count(d => d.Code == DiagnosticCodes.DestinationBadValue));
    }

    [Fact]
    public void Two_destinations_with_one_name_keep_the_first()
    {
        var load = Read("""
            destinations:
              - { name: a, type: webhook, url: "https://one.example.com/" }
              - { name: a, type: webhook, url: "https://two.example.com/" }
            """);
        Assert.Equal(3, Only(load, DiagnosticCodes.DuplicateDestination).Span.Line);
        Assert.Equal("one.example.com", Assert.Single(load.Config.Destinations).Url.Host);
    }

    [Fact]
    public void Unknown_keys_are_warnings_and_the_destination_still_loads()
    {
        var load = Read("""
            destinatons: []
            destinations:
              - name: a
                type: webhook
                url: https://example.com/
                retry: 3
            """);
        Assert.Equal([(1, 1), (6, 5)], load.Diagnostics.Where(d => d.Code == DiagnosticCodes.ConfigUnknownKey).Select(d => (d.Span.Line, d.Span.Column)));
        Assert.All(load.Diagnostics, d => Assert.Equal(DiagnosticLevel.Warning, d.Level));
        Assert.Single(load.Config.Destinations);
    }

    [Fact]
    public void Plain_http_to_another_host_and_a_token_written_in_the_file_are_warnings_without_the_secret()
    {
        var load = Read("""
            destinations:
              - name: lan
                type: webhook
                url: http://siem.internal/hook/SECRETPATH
                token: literal-SECRET-token
              - name: local
                type: webhook
                url: http://127.0.0.1:8080/hook
              - name: localhost
                type: webhook
                url: http://localhost:8080/hook
            """);
        var http = Only(load, DiagnosticCodes.PlainHttpUrl);
        Assert.Equal((4, 10), (http.Span.Line, http.Span.Column));
        Assert.Contains("http://siem.internal/…", http.Message, StringComparison.Ordinal);
        Assert.Equal(5, Only(load, DiagnosticCodes.TokenInFile).Span.Line);
        Assert.False(load.HasErrors);
        Assert.Equal(3, load.Config.Destinations.Count);
        Assert.All(load.Diagnostics, d => Assert.DoesNotContain("SECRET", d.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_from_the_environment_never_appear_in_diagnostics()
    {
        var load = Read("""
            destinations:
              - { name: a, type: webhook, url: "${NOT_A_URL}", token: "${SIEM_TOKEN}", timeout: "${SIEM_TOKEN}" }
              - { name: b, type: webhook, url: "https://${NOT_A_URL}/x", token: "line1\nline2${SIEM_TOKEN}" }
            """);
        Assert.True(load.HasErrors);
        Assert.All(load.Diagnostics, d => Assert.DoesNotContain("SECRET", d.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Broken_yaml_and_wrong_shapes_are_reported()
    {
        Assert.Equal(DiagnosticCodes.YamlSyntax, Assert.Single(Read("destinations: [ {name: a").Diagnostics).Code);
        Assert.Equal(DiagnosticCodes.ConfigShape, Assert.Single(Read("- a\n- b\n").Diagnostics).Code);
        var notAList = Assert.Single(Read("destinations: soc\n").Diagnostics);
        Assert.Equal((DiagnosticCodes.ConfigShape, 1, 15), (notAList.Code, notAList.Span.Line, notAList.Span.Column));
        Assert.Equal(DiagnosticCodes.ConfigShape, Assert.Single(Read("destinations:\n  - just-a-name\n").Diagnostics).Code);
        Assert.Empty(Read("").Diagnostics);
        Assert.Empty(Read("destinations:\n").Config.Destinations);
    }

    [Fact]
    public void A_missing_file_is_an_unreadable_file_diagnostic()
    {
        using var tmp = new TempDir();
        var load = ConfigReader.Load(Path.Combine(tmp.Path, "moat.yaml"));
        Assert.Equal(DiagnosticCodes.UnreadableFile, Assert.Single(load.Diagnostics).Code);
        Assert.Empty(load.Config.Destinations);
    }

    [Fact]
    public void Loads_from_a_file_with_the_process_environment()
    {
        using var tmp = new TempDir();
        var name = "MOAT_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-process-env");
        try
        {
            var path = tmp.File("moat.yaml", $"destinations:\n  - {{ name: a, type: webhook, url: \"https://example.com/\", token: \"${{{name}}}\" }}\n");
            var load = ConfigReader.Load(path);
            Assert.Empty(load.Diagnostics);
            Assert.Equal("from-process-env", load.Config.Destinations[0].Token);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Every_destination_code_is_documented()
    {
        var doc = File.ReadAllText(Repo.Path("docs", "diagnostics.md"));
        foreach (var (code, _) in DiagnosticCodes.All.Where(c => string.CompareOrdinal(c.Code, "MOAT040") >= 0))
            Assert.Contains($"| {code} |", doc, StringComparison.Ordinal);
    }
}
