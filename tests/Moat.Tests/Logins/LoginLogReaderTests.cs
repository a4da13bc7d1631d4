using System.Text;
using System.Text.Json;
using Moat.Logins;
using Moat.Read;
using Moat.Tests.Read;
using Moat.Tests.Support;

namespace Moat.Tests.Logins;

/// <summary>Inputs as files: plain and gzip logs, CloudWatch Logs payloads and exports, and which database they are about.</summary>
public sealed class LoginLogReaderTests : IDisposable
{
    private const string R = "2024-08-03 14:44:05 UTC:10.0.0.75(48820):";
    private static readonly string[] Login =
    [
        R + "[unknown]@[unknown]:[3000]:LOG:  connection received: host=10.0.0.75 port=48820",
        R + "app@appdb:[3000]:LOG:  connection authorized: user=app database=appdb application_name=psql",
    ];

    private const string WrongPassword =
        "2024-08-03 14:44:06 UTC:203.0.113.9(40000):app@appdb:[3001]:FATAL:  password authentication failed for user \"app\"";

    private readonly Moat.Tests.Read.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LoginReadResult Read(InputFile input, LoginReadOptions? options = null) =>
        new LoginLogReader(options ?? new LoginReadOptions()).Read(input);

    private InputFile File(string name, string text) => _dir.Input(name, Encoding.UTF8.GetBytes(text));

    private InputFile File(string name, byte[] bytes) => _dir.Input(name, bytes);

    private static string Envelope(string group, string stream, params string[] messages) => JsonSerializer.Serialize(new
    {
        messageType = "DATA_MESSAGE",
        owner = "123456789012",
        logGroup = group,
        logStream = stream,
        subscriptionFilters = new[] { "f1" },
        logEvents = messages.Select((m, i) => new { id = (31950000 + i).ToString(), timestamp = 1722696245000L + i, message = m }),
    });

    private const string Control =
        """{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1722696245000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}""";

    [Fact]
    public void Plain_postgres_log_is_read_and_named_after_the_file()
    {
        var input = File("prod-db-1.log", System.IO.File.ReadAllText(Feed.Fixture("postgres15-rds-prefix.log")));

        var result = Read(input);

        Assert.Equal(LogKind.PostgreSql, result.Kind);
        Assert.True(result.Complete);
        Assert.Empty(result.Errors);
        Assert.Equal(17, result.Events.Count);
        Assert.All(result.Events, e => Assert.Equal("prod-db-1", e.Database));
        Assert.All(result.Events, e => Assert.Equal(input.DisplayName, e.Source));
        Assert.Equal((64L, 0L), (result.Lines, result.MalformedLines));
    }

    [Fact]
    public void Gzip_log_is_read_by_its_content_whatever_its_name()
    {
        var input = File("db-7.log.2024-08-03-14", Split.Gzip(System.IO.File.ReadAllText(Feed.Fixture("postgres15-debian-prefix.log"))));

        var result = Read(input);

        Assert.True(result.Complete);
        Assert.Equal(17, result.Events.Count);
        Assert.All(result.Events, e => Assert.Equal("db-7", e.Database));
    }

    [Fact]
    public void Mysql_audit_log_is_read()
    {
        var input = File("audit.log", """
            1728498527380921,auora-mysql-node1,user_1,172.31.49.222,147189,0,FAILED_CONNECT,,,1045
            1728498527380940,auora-mysql-node1,user_1,172.31.49.222,147189,0,DISCONNECT,,,0
            1728498600123456,aurora-mysql-node1,app,10.0.3.14,147190,0,CONNECT,appdb,,0
            1728498600223456,aurora-mysql-node1,app,10.0.3.14,147190,5521,QUERY,appdb,'SELECT id, name FROM t',0
            """);

        var result = Read(input, new LoginReadOptions { DbInstance = "orders-db" });

        Assert.Equal(LogKind.MySqlAudit, result.Kind);
        Assert.Equal([LoginOutcome.Failure, LoginOutcome.Success], result.Events.Select(e => e.Outcome));
        Assert.All(result.Events, e => Assert.Equal("orders-db", e.Database));
        Assert.Equal((4L, 1L), (result.Lines, result.IgnoredLines));
    }

    [Fact]
    public void Subscription_payload_names_the_cluster_and_the_instance()
    {
        var input = File("payload.json", Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-1",
            Login[0], Login[1],
            // One event may hold a whole multi-line message.
            WrongPassword + "\n2024-08-03 14:44:06 UTC:203.0.113.9(40000):app@appdb:[3001]:DETAIL:  Password does not match for user \"app\".\n\tConnection matched file \"/rdsdbdata/config/pg_hba.conf\" line 13: \"host all all 0.0.0.0/0 md5\""));

        var result = Read(input, new LoginReadOptions { DbInstance = "ignored-when-the-group-says" });

        Assert.Equal(LogKind.PostgreSql, result.Kind);
        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Events.Count);
        Assert.All(result.Events, e => Assert.Equal(("prod-instance-1", "prod", "aurora-postgresql"), (e.Database, e.Cluster, e.Engine)));
        var failure = Assert.Single(result.Events, e => e.Outcome == LoginOutcome.Failure);
        Assert.Equal((LoginReason.WrongPassword, "203.0.113.9"), (failure.Reason, failure.RemoteIp));
        Assert.Equal(0, result.MalformedLines);
    }

    [Fact]
    public void Subscription_payloads_one_per_line_in_gzip_skip_control_messages()
    {
        var text = Control + "\n"
            + Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-1", Login) + "\n"
            + Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-2", WrongPassword) + "\n";
        var input = File("firehose-1", Split.Gzip(text));

        var result = Read(input);

        Assert.Empty(result.Errors);
        Assert.Equal(
            [("prod-instance-1", LoginOutcome.Success), ("prod-instance-2", LoginOutcome.Failure)],
            result.Events.Select(e => (e.Database, e.Outcome)).OrderBy(x => x.Database));
    }

    [Fact]
    public void Concatenated_gzip_members_are_read_as_firehose_delivers_them()
    {
        var one = Split.Gzip(Envelope("/aws/rds/instance/db-a/postgresql", "db-a", Login));
        var two = Split.Gzip(Envelope("/aws/rds/instance/db-b/postgresql", "db-b", WrongPassword));
        var input = File("PUT-S3-abc-1-2024-08-03-14-44-05", [.. one, .. two]);

        var result = Read(input);

        Assert.Empty(result.Errors);
        Assert.Equal(["db-a", "db-b"], result.Events.Select(e => e.Database).Order());
        Assert.All(result.Events, e => Assert.Null(e.Cluster));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(76)]
    public void Base64_gzip_payload_is_decoded(int wrap)
    {
        var base64 = Convert.ToBase64String(Split.Gzip(Envelope("/aws/rds/cluster/prod/audit", "prod-instance-1",
            "1728498600123456,prod-instance-1,app,10.0.3.14,147190,0,CONNECT,appdb,,0")));
        if (wrap > 0) base64 = string.Join('\n', base64.Chunk(wrap).Select(c => new string(c)));
        var input = File("awslogs.b64", base64 + "\n");

        var result = Read(input);

        Assert.Equal(LogKind.MySqlAudit, result.Kind);
        Assert.Empty(result.Errors);
        var e = Assert.Single(result.Events);
        Assert.Equal((LoginOutcome.Success, "prod-instance-1", "prod", 1L), (e.Outcome, e.Database, e.Cluster, e.Line));
    }

    [Fact]
    public void Lambda_event_with_awslogs_data_is_decoded()
    {
        var data = Convert.ToBase64String(Split.Gzip(Envelope("/aws/rds/instance/db-a/postgresql", "db-a", Login)));
        var input = File("event.json", "{\"awslogs\":{\"data\":\"" + data + "\"}}");

        var result = Read(input);

        Assert.Empty(result.Errors);
        Assert.Equal(("db-a", LoginOutcome.Success), (Assert.Single(result.Events).Database, result.Events[0].Outcome));
    }

    [Fact]
    public void Log_streams_of_one_file_are_parsed_apart()
    {
        // The same pid on two instances is two processes: instance 2's failure must not end instance 1's connection.
        var text = Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-1", Login[0]) + "\n"
            + Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-2", R + "app@appdb:[3000]:FATAL:  password authentication failed for user \"app\"") + "\n"
            + Envelope("/aws/rds/cluster/prod/postgresql", "prod-instance-1", Login[1]) + "\n";

        var result = Read(File("two-streams.json", text));

        Assert.Equal(
            [("prod-instance-1", LoginOutcome.Success), ("prod-instance-2", LoginOutcome.Failure)],
            result.Events.Select(e => (e.Database, e.Outcome)).OrderBy(x => x.Database));
    }

    [Fact]
    public void Log_groups_without_logins_are_skipped()
    {
        var text = Envelope("/aws/rds/instance/db-a/error", "db-a", "2024-08-03 14:44:05 UTC::@:[1]:LOG:  checkpoint starting: time") + "\n"
            + Envelope("/aws/rds/instance/db-a/postgresql", "db-a", Login) + "\n";

        var result = Read(File("mixed.json", text));

        Assert.Empty(result.Errors);
        Assert.Single(result.Events);
        Assert.Equal((3L, 1L), (result.Lines, result.IgnoredLines));
    }

    [Fact]
    public void Exported_log_events_per_line_are_read()
    {
        var text = string.Join('\n', Login.Select((m, i) => JsonSerializer.Serialize(new { timestamp = 1722696245000L + i, message = m })));

        var result = Read(File("export.jsonl", text), new LoginReadOptions { DbInstance = "db-from-option" });

        Assert.Equal(("db-from-option", LoginOutcome.Success, 2L), (Assert.Single(result.Events).Database, result.Events[0].Outcome, result.Events[0].Line));
    }

    [Fact]
    public void Aws_logs_output_names_each_events_stream()
    {
        var text = JsonSerializer.Serialize(new
        {
            events = Login.Select((m, i) => new { logStreamName = "inst-2", timestamp = 1722696245000L + i, message = m, ingestionTime = 1722696246000L, eventId = "e" + i }),
            searchedLogStreams = Array.Empty<object>(),
        }, new JsonSerializerOptions { WriteIndented = true });

        var result = Read(File("filter-log-events.json", text));

        var e = Assert.Single(result.Events);
        Assert.Equal("inst-2", e.Database);
        // Pretty-printed: the line is the one of the message that decided.
        Assert.Equal(Array.FindIndex(text.Split('\n'), l => l.Contains("connection authorized")) + 1, e.Line);
    }

    [Fact]
    public void Export_to_s3_is_read_and_named_after_its_stream_folder()
    {
        var lines = new[]
        {
            "2024-08-03T14:44:05.000Z " + Login[0],
            "2024-08-03T14:44:05.000Z " + Login[1],
            "2024-08-03T14:44:06.000Z " + WrongPassword,
            "2024-08-03T14:44:06.000Z 2024-08-03 14:44:06 UTC:203.0.113.9(40000):app@appdb:[3001]:DETAIL:  Role \"app\" does not exist.",
            "\tConnection matched pg_hba.conf line 13: \"host all all 0.0.0.0/0 md5\"",
        };
        var input = File("exportedlogs/3f1c/prod-instance-1/000000.gz", Split.Gzip(string.Join('\n', lines) + "\n"));

        var result = Read(input);

        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Events.Count);
        Assert.All(result.Events, e => Assert.Equal("prod-instance-1", e.Database));
        Assert.Equal(LoginReason.UnknownUser, Assert.Single(result.Events, e => e.Outcome == LoginOutcome.Failure).Reason);
    }

    [Fact]
    public void Database_comes_from_the_log_group_then_the_option_then_the_stream_then_the_file()
    {
        var withGroup = Envelope("/aws/rds/instance/from-group/postgresql", "from-group", Login);
        var withStream = JsonSerializer.Serialize(new { logStreamName = "from-stream", timestamp = 1L, message = WrongPassword });
        var bare = JsonSerializer.Serialize(new { timestamp = 1L, message = WrongPassword });
        var option = new LoginReadOptions { DbInstance = "from-option" };

        Assert.Equal("from-group", Read(File("a.json", withGroup), option).Events[0].Database);
        Assert.Equal("from-option", Read(File("b.json", withStream), option).Events[0].Database);
        Assert.Equal("from-stream", Read(File("c.json", withStream)).Events[0].Database);
        Assert.Equal("from-file", Read(File("from-file.json.gz", Split.Gzip(bare))).Events[0].Database);
    }

    [Fact]
    public void Forced_kind_overrides_what_the_content_looks_like()
    {
        var input = File("prod-db-1.log", string.Join('\n', Login));

        var result = Read(input, new LoginReadOptions { Kind = LogKind.MySqlAudit });

        Assert.Equal(LogKind.MySqlAudit, result.Kind);
        Assert.Equal(2, result.MalformedLines);
        Assert.Empty(result.Events);
    }

    [Fact]
    public void Cloudtrail_input_is_left_to_the_cloudtrail_scanner()
    {
        var result = Read(File("trail.json", """{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}"""));

        Assert.Equal(LogKind.CloudTrail, result.Kind);
        Assert.Empty(result.Events);
        Assert.Contains("CloudTrail", Assert.Single(result.Errors).Reason);
    }

    [Fact]
    public void Unknown_input_is_reported()
    {
        var result = Read(File("notes.txt", "Dear diary,\ntoday the database was fine.\n"));

        Assert.Equal(LogKind.Unknown, result.Kind);
        Assert.False(result.Complete);
        Assert.Contains("--kind", Assert.Single(result.Errors).Reason);
    }

    [Fact]
    public void Malformed_lines_are_reported_with_file_and_line_while_the_rest_is_read()
    {
        var input = File("prod-db-1.log", Login[0] + "\n###### garbage ######\n" + Login[1] + "\n");

        var result = Read(input);

        Assert.Equal(LoginOutcome.Success, Assert.Single(result.Events).Outcome);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(input.DisplayName + ":2: not a PostgreSQL log line", error.ToString());
        Assert.Equal(1, result.MalformedLines);
    }

    [Fact]
    public void Invalid_json_record_is_reported_and_the_next_is_read()
    {
        var text = Envelope("/aws/rds/instance/db-a/postgresql", "db-a", WrongPassword) + "\n"
            + """{"messageType":"DATA_MESSAGE","logGroup":"/aws/rds/instance/db-a/postgresql","logEvents":[{"message": tru}]}""" + "\n"
            + """{"note":"no message here"}""" + "\n"
            + Envelope("/aws/rds/instance/db-a/postgresql", "db-a", Login) + "\n";

        var result = Read(File("payloads.jsonl", text));

        Assert.Equal([2L, 3L], result.Errors.Select(e => e.Line!.Value));
        Assert.Equal(2, result.Events.Count);
    }

    [Fact]
    public void Truncated_gzip_is_reported_and_the_lines_before_the_cut_are_read()
    {
        var lines = Enumerable.Range(0, 2000).SelectMany(i => new[]
        {
            $"2024-08-03 14:44:05 UTC:10.0.{i / 200}.{i % 200}(40000):[unknown]@[unknown]:[{i + 10}]:LOG:  connection received: host=10.0.{i / 200}.{i % 200} port=40000",
            $"2024-08-03 14:44:05 UTC:10.0.{i / 200}.{i % 200}(40000):app@appdb:[{i + 10}]:LOG:  connection authorized: user=app database=appdb",
        });
        var gzip = Split.Gzip(string.Join('\n', lines) + "\n");
        var input = File("cut.log.gz", gzip[..(gzip.Length * 3 / 4)]);

        var result = Read(input);

        Assert.False(result.Complete);
        Assert.NotEmpty(result.Events);
        Assert.Contains(result.Errors, e => e.Reason.Contains("gzip") || e.Reason.StartsWith("cannot read"));
    }

    [Fact]
    public void Events_go_to_the_callback_as_they_are_decided()
    {
        var seen = new List<LoginEvent>();
        var input = File("prod-db-1.log", System.IO.File.ReadAllText(Feed.Fixture("postgres15-rds-prefix.log")));

        var result = new LoginLogReader().Read(input, seen.Add);

        Assert.Empty(result.Events);
        Assert.Equal(17, seen.Count);
    }

    [Theory]
    [InlineData("rds.log", LogKind.PostgreSql)]
    [InlineData("debian.log", LogKind.PostgreSql)]
    [InlineData("aurora-audit.log", LogKind.MySqlAudit)]
    [InlineData("mariadb-audit.log", LogKind.MySqlAudit)]
    [InlineData("trail-records.json", LogKind.CloudTrail)]
    [InlineData("trail-array.json", LogKind.CloudTrail)]
    [InlineData("trail-lines.jsonl", LogKind.CloudTrail)]
    [InlineData("trail-in-cloudwatch.json", LogKind.CloudTrail)]
    [InlineData("payload-postgresql.json", LogKind.PostgreSql)]
    [InlineData("payload-audit.json", LogKind.MySqlAudit)]
    [InlineData("payload-custom-group.json", LogKind.PostgreSql)]
    [InlineData("exported-events.jsonl", LogKind.MySqlAudit)]
    [InlineData("s3-export.txt", LogKind.PostgreSql)]
    [InlineData("payload.b64", LogKind.PostgreSql)]
    [InlineData("gzip-audit.gz", LogKind.MySqlAudit)]
    [InlineData("prose.txt", LogKind.Unknown)]
    [InlineData("other.json", LogKind.Unknown)]
    [InlineData("empty.log", LogKind.Unknown)]
    public void Sniff_tells_the_kind_from_the_content(string name, LogKind kind)
    {
        var audit = "1728498600123456,node1,app,10.0.3.14,147190,0,CONNECT,appdb,,0";
        var trail = """{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1"}""";
        byte[] content = name switch
        {
            "rds.log" => Encoding.UTF8.GetBytes(string.Join('\n', Login)),
            "debian.log" => System.IO.File.ReadAllBytes(Feed.Fixture("postgres15-debian-prefix.log")),
            "aurora-audit.log" => Encoding.UTF8.GetBytes(audit + "\n"),
            "mariadb-audit.log" => Encoding.UTF8.GetBytes("20201130 23:08:44,localhost.localdomain,root,localhost,2,0,FAILED_CONNECT,,,1045\n"),
            "trail-records.json" => Encoding.UTF8.GetBytes("{\"Records\":[" + trail + "]}"),
            "trail-array.json" => Encoding.UTF8.GetBytes("[" + trail + "]"),
            "trail-lines.jsonl" => Encoding.UTF8.GetBytes(trail + "\n" + trail + "\n"),
            "trail-in-cloudwatch.json" => Encoding.UTF8.GetBytes(Envelope("aws-cloudtrail-logs-123456789012", "123456789012_CloudTrail_us-east-1", trail)),
            "payload-postgresql.json" => Encoding.UTF8.GetBytes(Envelope("/aws/rds/cluster/prod/postgresql", "i-1", "x")),
            "payload-audit.json" => Encoding.UTF8.GetBytes(Envelope("/aws/rds/instance/db/audit", "db", "x")),
            "payload-custom-group.json" => Encoding.UTF8.GetBytes(Envelope("my-db-logs", "i-1", Login)),
            "exported-events.jsonl" => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { timestamp = 1L, message = audit }) + "\n"),
            "s3-export.txt" => Encoding.UTF8.GetBytes("2024-08-03T14:44:05.000Z " + Login[0] + "\n"),
            "payload.b64" => Encoding.ASCII.GetBytes(Convert.ToBase64String(Split.Gzip(Envelope("/aws/rds/cluster/prod/postgresql", "i-1", Login)))),
            "gzip-audit.gz" => Split.Gzip(audit + "\n"),
            "prose.txt" => Encoding.UTF8.GetBytes("Dear diary,\ntoday, at 10:00, LOG: nothing.\n"),
            "other.json" => Encoding.UTF8.GetBytes("""{"level":"info","msg":"started"}"""),
            _ => [],
        };

        Assert.Equal(kind, LoginLogReader.Sniff(File(name, content)));
    }

    [Fact]
    public void Sniff_recognises_a_real_cloudtrail_delivery_file()
    {
        var file = Directory.GetFiles(Repo.Data("real", "invictus"), "*.json").Order().First();

        Assert.Equal(LogKind.CloudTrail, LoginLogReader.Sniff(new InputFile(file, file, new FileInfo(file).Length)));
    }

    [Fact]
    public void Sniff_of_bytes_already_read_matches_sniff_of_the_file()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', Login));

        Assert.Equal(LogKind.PostgreSql, LoginLogReader.Sniff(bytes, wholeInput: true));
        Assert.Equal(LogKind.PostgreSql, LoginLogReader.Sniff(bytes.AsSpan(0, bytes.Length - 10)));
    }
}
