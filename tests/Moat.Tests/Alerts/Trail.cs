using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>
/// CloudTrail events and files for the alert tests: a few events that built-in rules match (security groups
/// opened to the world on 5432 and 22, RDS DB security group ingress) and plain noise, written as text so
/// that corpora of tens of thousands of events take milliseconds to build.
/// </summary>
internal static class Trail
{
    public const string Account = "123456789012";
    public const string Region = "us-east-1";
    public const string Alice = "arn:aws:iam::123456789012:user/alice";

    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    public const string DbPortRule = "AWS.EC2.SecurityGroupDatabasePortOpenToWorld";
    public const string AdminPortRule = "AWS.EC2.SecurityGroupAdminPortOpenToWorld";
    public const string RdsIngressRule = "AWS.RDS.SecurityGroupIngressAuthorized";

    public static string DbPortKey(string group) => $"{DbPortRule}:{Account}:{Region}:{group}";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Head(string id, DateTimeOffset t, string source, string name, string ip, string principal = Alice) =>
        $"\"eventVersion\":\"1.08\",\"userIdentity\":{{\"type\":\"IAMUser\",\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"{principal}\",\"accountId\":\"{Account}\",\"userName\":\"{principal[(principal.LastIndexOf('/') + 1)..]}\"}}," +
        $"\"eventTime\":\"{Time(t)}\",\"eventSource\":\"{source}\",\"eventName\":\"{name}\",\"awsRegion\":\"{Region}\",\"sourceIPAddress\":\"{ip}\"," +
        $"\"userAgent\":\"aws-cli/2.15.0\",\"eventID\":\"{id}\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"{Account}\"";

    /// <summary>AuthorizeSecurityGroupIngress from 0.0.0.0/0 on one TCP port (5432: database rule; 22: admin rule).</summary>
    public static string SgOpen(string id, DateTimeOffset t, string group, int port, string ip = "198.51.100.7") =>
        "{" + Head(id, t, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ip) +
        $",\"requestParameters\":{{\"groupId\":\"{group}\",\"ipPermissions\":{{\"items\":[{{\"ipProtocol\":\"tcp\",\"fromPort\":{port},\"toPort\":{port},\"groups\":{{}},\"ipRanges\":{{\"items\":[{{\"cidrIp\":\"0.0.0.0/0\"}}]}},\"ipv6Ranges\":{{}},\"prefixListIds\":{{}}}}]}}}}" +
        ",\"responseElements\":{\"_return\":true}}";

    /// <summary>RDS AuthorizeDBSecurityGroupIngress (critical from 0.0.0.0/0, medium from a narrower CIDR).</summary>
    public static string RdsIngress(string id, DateTimeOffset t, string group, string cidr) =>
        "{" + Head(id, t, "rds.amazonaws.com", "AuthorizeDBSecurityGroupIngress", "198.51.100.9") +
        $",\"requestParameters\":{{\"dBSecurityGroupName\":\"{group}\",\"cIDRIP\":\"{cidr}\"}},\"responseElements\":{{\"dBSecurityGroupName\":\"{group}\"}}}}";

    /// <summary>An S3 DeleteBucket call (matched by the custom threshold rules of these tests, by no built-in rule).</summary>
    public static string DeleteBucket(string id, DateTimeOffset t, string bucket, string ip = "203.0.113.5", string principal = Alice) =>
        "{" + Head(id, t, "s3.amazonaws.com", "DeleteBucket", ip, principal) + $",\"requestParameters\":{{\"bucketName\":\"{bucket}\",\"Host\":\"{bucket}.s3.amazonaws.com\"}},\"responseElements\":null}}";

    private static readonly string[] NoiseNames = ["DescribeInstances", "GetObject", "ListBuckets", "DescribeDBInstances", "GetCallerIdentity", "DescribeSecurityGroups"];
    private static readonly string[] NoiseSources = ["ec2.amazonaws.com", "s3.amazonaws.com", "s3.amazonaws.com", "rds.amazonaws.com", "sts.amazonaws.com", "ec2.amazonaws.com"];

    /// <summary>A read-only call that no rule matches.</summary>
    public static string Noise(string id, DateTimeOffset t, int n) =>
        "{" + Head(id, t, NoiseSources[n % NoiseNames.Length], NoiseNames[n % NoiseNames.Length], "10.0." + (n % 250) + "." + (n % 200 + 1)) +
        $",\"requestParameters\":{{\"maxResults\":{n % 100 + 1}}},\"responseElements\":null,\"readOnly\":true}}";

    public static string File(IEnumerable<string> events) => "{\"Records\":[" + string.Join(",", events) + "]}";

    public const string ThresholdRuleId = "Test.S3.BucketDeletedRepeatedly";

    /// <summary>A custom rule: DeleteBucket, grouped per principal; an alert needs three deletions within 10 minutes.</summary>
    public const string ThresholdRule = """
        id: Test.S3.BucketDeletedRepeatedly
        title: Buckets deleted repeatedly
        severity: medium
        condition:
          all:
            - eventSource: s3.amazonaws.com
            - eventName: DeleteBucket
        runbook: "Ask {{userIdentity.arn}} why {{requestParameters.bucketName}} was deleted."
        remediation: "aws s3api list-buckets"
        dedup:
          key: "{{userIdentity.arn}}"
          period: 10m
          threshold: 3
        """;

    public const string DistinctRuleId = "Test.S3.BucketDeletedFromManyAddresses";

    /// <summary>A custom rule: DeleteBucket from four distinct source addresses within 30 minutes.</summary>
    public const string DistinctRule = """
        id: Test.S3.BucketDeletedFromManyAddresses
        title: Buckets deleted from many addresses
        severity: high
        condition:
          all:
            - eventSource: s3.amazonaws.com
            - eventName: DeleteBucket
        dedup:
          key: "{{userIdentity.arn}}"
          period: 30m
          threshold: 4
          distinct: sourceIPAddress
        """;

    /// <summary>
    /// Writes <paramref name="files"/> CloudTrail files of <paramref name="eventsPerFile"/> events. Files overlap in
    /// event time (file f covers the same 20 minutes as f+30, f+60...), so matches of one dedup key arrive from
    /// many files, out of time order. About one event in 60 matches: security groups sg-0..3 opened on 5432 or 22,
    /// DB security groups db-a/db-b (0.0.0.0/0 or 10.0.0.0/8), and DeleteBucket from a handful of addresses for
    /// the custom threshold rules. Returns the number of matching events written.
    /// </summary>
    public static int WriteCorpus(string dir, int files, int eventsPerFile, int seed, string idPrefix, TimeSpan? offset = null)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        var start = T0 + (offset ?? TimeSpan.Zero);
        int matching = 0;
        var sb = new StringBuilder(eventsPerFile * 700);
        for (int f = 0; f < files; f++)
        {
            sb.Clear().Append("{\"Records\":[");
            var fileStart = start + TimeSpan.FromMinutes(20 * (f % 30));
            for (int i = 0; i < eventsPerFile; i++)
            {
                if (i > 0) sb.Append(',');
                var t = fileStart + TimeSpan.FromSeconds(i * 1200.0 / eventsPerFile + rng.Next(0, 3));
                var id = $"{idPrefix}-{f:D4}-{i:D5}";
                if (rng.Next(60) != 0) { sb.Append(Noise(id, t, rng.Next(1000))); continue; }
                matching++;
                switch (rng.Next(6))
                {
                    case 0 or 1: sb.Append(SgOpen(id, t, "sg-" + rng.Next(4), 5432)); break;
                    case 2: sb.Append(SgOpen(id, t, "sg-" + rng.Next(4), 22)); break;
                    case 3: sb.Append(RdsIngress(id, t, rng.Next(2) == 0 ? "db-a" : "db-b", rng.Next(3) == 0 ? "0.0.0.0/0" : "10.0.0.0/8")); break;
                    default: sb.Append(DeleteBucket(id, t, "bucket-" + rng.Next(100), "203.0.113." + rng.Next(1, 6), rng.Next(3) == 0 ? Alice : "arn:aws:iam::123456789012:user/bob")); break;
                }
            }
            sb.Append("]}");
            System.IO.File.WriteAllText(Path.Combine(dir, $"trail-{f:D4}.json"), sb.ToString());
        }
        return matching;
    }

    /// <summary>One JSON object per line.</summary>
    public static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    /// <summary>`moat alerts list --format jsonl`, lines sorted (the comparable form of a state's alerts).</summary>
    public static List<string> AlertLines(string state)
    {
        var run = MoatProcess.Run("alerts", "list", "--state", state, "--format", "jsonl");
        Assert.True(run.ExitCode == 0, $"alerts list failed ({run.ExitCode}): {run.Stderr}");
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A read-only look at a state file without taking part in its recovery or checkpoints.</summary>
    public static SqliteConnection OpenReadOnly(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        c.Open();
        return c;
    }

    public static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Rows of `matches` as "rule|eventKey|dedupKey|time", sorted.</summary>
    public static List<string> MatchRows(string state)
    {
        using var c = OpenReadOnly(state);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT rule_id, event_key, dedup_key, event_time FROM matches ORDER BY rule_id, event_key";
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read()) rows.Add($"{r.GetString(0)}|{r.GetString(1)}|{r.GetString(2)}|{r.GetString(3)}");
        return rows;
    }

    /// <summary>Starts the real moat with both outputs drained in the background (a full pipe would stall it).</summary>
    public static RunningMoat Start(params string[] args)
    {
        var psi = new ProcessStartInfo(MoatProcess.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        return new RunningMoat(p, stdout, stderr);
    }
}

internal sealed class RunningMoat(Process process, Task<string> stdout, Task<string> stderr) : IDisposable
{
    public Process Process { get; } = process;

    public bool HasExited => Process.HasExited;

    /// <summary>SIGKILL on Unix: no handler, no flush, no cleanup runs in moat.</summary>
    public void Kill()
    {
        try { Process.Kill(); } catch (InvalidOperationException) { /* already exited */ }
        Process.WaitForExit();
    }

    public MoatRun Wait(int timeoutMs = 120_000)
    {
        if (!Process.WaitForExit(timeoutMs))
        {
            Kill();
            throw new TimeoutException("moat did not finish");
        }
        Process.WaitForExit();
        return new MoatRun(Process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        if (!Process.HasExited) Kill();
        Process.Dispose();
    }
}
