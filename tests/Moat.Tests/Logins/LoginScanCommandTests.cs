using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Logins;

/// <summary>`moat scan` on database logs: routing by content, output formats, state and intel options end to end.</summary>
public sealed class LoginScanCommandTests
{
    private static string RealLog => Repo.Path("tests/Moat.Tests/data/logins/postgres15-rds-prefix.log");

    private static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void A_postgres_log_is_recognised_by_content_and_threat_list_findings_come_out_in_guardduty_shape()
    {
        using var tmp = new TempDir();
        var list = tmp.File("blocklist.txt", "# test list\n127.0.0.1\n");
        // Loopback is private space, which threat lists must not flag: the list entry is dropped with a warning,
        // so the address is rewritten to a public stand-in, as a NAT would show an outside caller.
        var log = tmp.File("orders-db.log", File.ReadAllText(RealLog).Replace("127.0.0.1", "198.51.100.66"));
        var list2 = tmp.File("blocklist2.txt", "198.51.100.66\n");
        var run = MoatProcess.Run("scan", log, "--state", Path.Combine(tmp.Path, "state.db"), "--threat-list", list, "--threat-list", list2, "--format", "guardduty");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("private", run.Stderr); // the dropped loopback entry is reported, not silently ignored
        var findings = Lines(run.Stdout);
        Assert.NotEmpty(findings);
        var types = findings.Select(f => f.GetProperty("type").GetString()).ToHashSet();
        Assert.Contains("CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin", types);
        Assert.Contains("CredentialAccess:RDS/MaliciousIPCaller.FailedLogin", types);
        Assert.Contains("Discovery:RDS/MaliciousIPCaller", types);
        var success = findings.First(f => f.GetProperty("type").GetString() == "CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin");
        Assert.Equal(8.0, success.GetProperty("severity").GetDouble());
        Assert.Equal("orders-db", success.GetProperty("resource").GetProperty("rdsDbInstanceDetails").GetProperty("dbInstanceIdentifier").GetString());
        Assert.Equal("RDS_LOGIN_ATTEMPT", success.GetProperty("service").GetProperty("action").GetProperty("actionType").GetString());
        var action = success.GetProperty("service").GetProperty("action").GetProperty("rdsLoginAttemptAction");
        Assert.Equal("198.51.100.66", action.GetProperty("remoteIpDetails").GetProperty("ipAddressV4").GetString());
        Assert.True(action.GetProperty("LoginAttributes")[0].GetProperty("successfulLoginAttempts").GetInt32() >= 1);
        Assert.Equal("blocklist2", success.GetProperty("service").GetProperty("evidence").GetProperty("threatIntelligenceDetails")[0].GetProperty("threatListName").GetString());
    }

    [Fact]
    public void Rescanning_with_the_same_state_reports_nothing_new_and_says_why()
    {
        using var tmp = new TempDir();
        var log = tmp.File("orders-db.log", File.ReadAllText(RealLog).Replace("127.0.0.1", "198.51.100.66"));
        var list = tmp.File("bad.txt", "198.51.100.66\n");
        string[] args = ["scan", log, "--state", Path.Combine(tmp.Path, "state.db"), "--threat-list", list, "--format", "jsonl"];
        var first = MoatProcess.Run(args);
        Assert.NotEmpty(Lines(first.Stdout));
        var again = MoatProcess.Run(args);
        Assert.Equal(0, again.ExitCode);
        Assert.Empty(Lines(again.Stdout));
        Assert.Contains("already processed by an earlier scan", again.Stderr);
    }

    [Fact]
    public void Login_findings_in_jsonl_carry_the_documented_fields()
    {
        using var tmp = new TempDir();
        var log = tmp.File("orders-db.log", File.ReadAllText(RealLog).Replace("127.0.0.1", "198.51.100.66"));
        var tor = tmp.File("tor.txt", "198.51.100.66\n");
        var run = MoatProcess.Run("scan", log, "--state", Path.Combine(tmp.Path, "s.db"), "--tor-exits", tor, "--format", "jsonl", "-q");
        var f = Lines(run.Stdout).First(x => x.GetProperty("ruleId").GetString() == "CredentialAccess:RDS/TorIPCaller.SuccessfulLogin");
        Assert.Equal("high", f.GetProperty("severity").GetString());
        Assert.Equal("198.51.100.66", f.GetProperty("sourceIp").GetString());
        var r = f.GetProperty("resource");
        Assert.Equal("orders-db", r.GetProperty("id").GetString());
        Assert.Equal("tor-exit", r.GetProperty("threatListName").GetString());
        foreach (var k in new[] { "successfulLoginCount", "failedLoginCount", "incompleteConnectionCount", "firstSeen", "lastSeen", "user" })
            Assert.True(r.TryGetProperty(k, out _), k);
        Assert.Contains("rotate", f.GetProperty("runbook").GetString());
        Assert.Equal("login", f.GetProperty("ruleKind").GetString());
    }

    [Fact]
    public void A_bad_threat_list_line_is_reported_with_its_line_and_the_exit_code_says_so()
    {
        using var tmp = new TempDir();
        var log = tmp.File("orders-db.log", File.ReadAllText(RealLog));
        var list = tmp.File("list.txt", "198.51.100.66\nnot-an-address\n");
        var run = MoatProcess.Run("scan", log, "--state", Path.Combine(tmp.Path, "s.db"), "--threat-list", list, "-q");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("list.txt:2", run.Stderr);
    }
}
