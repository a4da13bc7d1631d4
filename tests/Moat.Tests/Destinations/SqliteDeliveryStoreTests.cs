using Microsoft.Data.Sqlite;
using Moat.Alerts;
using Moat.Destinations;
using Moat.State.Sqlite;
using Moat.Tests.Support;
using static Moat.Tests.Destinations.DestinationTestSupport;

namespace Moat.Tests.Destinations;

public sealed class SqliteDeliveryStoreTests
{
    private static long UserVersion(string path)
    {
        using var c = new SqliteConnection($"Data Source={path}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void A_schema_2_state_file_gains_the_delivery_table_and_keeps_its_alerts()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            // The schema-2 tables as a moat from before delivery wrote them, holding one match.
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE login_profiles (database TEXT PRIMARY KEY, profile TEXT NOT NULL, updated TEXT NOT NULL);
                CREATE TABLE inputs (path TEXT PRIMARY KEY, size INTEGER NOT NULL, modified INTEGER NOT NULL, head_hash TEXT NOT NULL, scanned TEXT NOT NULL);
                CREATE TABLE matches (rule_id TEXT NOT NULL, event_key TEXT NOT NULL, dedup_key TEXT NOT NULL, event_time TEXT NOT NULL, severity INTEGER NOT NULL,
                    title TEXT NOT NULL, account TEXT, principal TEXT, period_seconds REAL NOT NULL, threshold INTEGER NOT NULL, distinct_value TEXT,
                    finding TEXT NOT NULL, PRIMARY KEY (rule_id, event_key));
                CREATE TABLE alert_status (alert_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT, changed TEXT NOT NULL);
                INSERT INTO matches VALUES ('r', 'e1', 'k', '2026-03-01T10:00:00.0000000Z', 3, 't', NULL, NULL, 3600, 1, NULL, '{}');
                PRAGMA user_version=2;
                """;
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        using (var store = new SqliteAlertStore(path))
        {
            Assert.Single(store.Matches());
            Assert.Empty(store.Deliveries("soc"));
            store.RecordDelivery(new DeliveryRecord("soc", "a1", 3, "open", T0));
            store.RecordDelivery(new DeliveryRecord("soc", "a1", 5, "closed", T0.AddHours(1)));
            store.RecordDelivery(new DeliveryRecord("chat", "a1", 3, "open", T0));
        }
        SqliteConnection.ClearAllPools();
        Assert.Equal(Moat.State.Sqlite.StateFile.SchemaVersion, UserVersion(path));

        using (var store = new SqliteAlertStore(path))
        {
            var soc = Assert.Single(store.Deliveries("soc"));
            Assert.Equal(new DeliveryRecord("soc", "a1", 5, "closed", T0.AddHours(1)), soc.Value);
            Assert.Equal(3, store.Deliveries("chat")["a1"].Count);
        }
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Deliveries_recorded_in_the_state_file_stop_a_later_run_from_sending_again()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using var server = new TestHttpServer(Reply.Ok);
        var match = Alert().Matches[0];

        async Task<DispatchSummary> Scan()
        {
            using var store = new SqliteAlertStore(path);
            store.Commit(null, [match]);
            var alerts = AlertGrouper.Group(store.Matches(), store.Statuses());
            using var dispatcher = new AlertDispatcher([Webhook(server.Url())], store, DeadLetterFile.PathFor(path), FastOptions());
            return await dispatcher.DispatchAsync(alerts);
        }

        Assert.Equal(1, (await Scan()).Sent);
        var again = await Scan();
        Assert.Equal((0, 1), (again.Sent, again.Unchanged));
        Assert.Single(server.Requests);
        Assert.Equal(path + ".dead-letters.jsonl", DeadLetterFile.PathFor(path));
        SqliteConnection.ClearAllPools();
    }
}
