using System.Text.Json;
using Microsoft.Data.Sqlite;
using Moat.Alerts;
using Moat.Logins;
using Moat.Rules;
using Moat.State.Sqlite;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>The alert state in SQLite: idempotent matches, one transaction per input, schema migrations.</summary>
public sealed class SqliteAlertStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private static StoredMatch M(string eventKey, double minutes, string key = "k1", string? title = "t", int threshold = 1, string? distinct = null) =>
        new("R.One", eventKey, key, T0.AddMinutes(minutes).AddTicks(1234567), Severity.High, title!, "123456789012", null,
            TimeSpan.FromMinutes(60), threshold, distinct, "{\"eventId\":\"" + eventKey + "\"}");

    private static InputFingerprint Fp(string path, long size = 100) => new(path, size, 638700000000000000, "abc123");

    private static long Count(string path, string table)
    {
        using var c = Trail.OpenReadOnly(path);
        return Trail.Scalar(c, $"SELECT COUNT(*) FROM {table}");
    }

    [Fact]
    public void Matches_round_trip_with_every_field()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        var m = new StoredMatch("R.One", "ev-1", "k1", T0.AddTicks(1234567), Severity.Critical, "Title", "123456789012", "arn:aws:iam::123456789012:user/a",
            TimeSpan.FromMinutes(90), 3, "10.0.0.1", "{\"x\":1}");
        var bare = new StoredMatch("R.Two", "ev-2", "k2", T0, Severity.Info, "Other", null, null, TimeSpan.FromSeconds(30), 1, null, "{}");
        using (var store = new SqliteAlertStore(path)) store.Commit(null, [m, bare]);

        using var again = new SqliteAlertStore(path);
        Assert.Equal([m, bare], again.Matches());
    }

    [Fact]
    public void A_match_stored_twice_is_stored_once()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using var store = new SqliteAlertStore(path);
        store.Commit(Fp("/logs/a.json"), [M("e1", 0), M("e2", 5)]);
        store.Commit(Fp("/logs/a.json"), [M("e1", 0), M("e2", 5)]);
        store.Commit(null, [M("e2", 5), M("e3", 10)]);
        // Same rule and event: kept once even if another run computed a different dedup key for it.
        store.Commit(null, [M("e1", 0, key: "other")]);

        Assert.Equal(["e1", "e2", "e3"], store.Matches().Select(m => m.EventKey));
        Assert.Equal("k1", store.Matches()[0].DedupKey);
        var alert = Assert.Single(AlertGrouper.Group(store.Matches(), store.Statuses()));
        Assert.Equal(3, alert.Count);
    }

    [Fact]
    public void An_input_is_processed_only_with_the_same_path_size_time_and_head()
    {
        using var tmp = new TempDir();
        using var store = new SqliteAlertStore(Path.Combine(tmp.Path, "state.db"));
        var fp = Fp("/logs/a.json");
        Assert.False(store.IsProcessed(fp));
        store.Commit(fp, []);

        Assert.True(store.IsProcessed(fp));
        Assert.True(store.IsProcessed(fp with { }));
        Assert.False(store.IsProcessed(fp with { Size = 101 }));
        Assert.False(store.IsProcessed(fp with { ModifiedTicks = fp.ModifiedTicks + 1 }));
        Assert.False(store.IsProcessed(fp with { HeadHash = "abc124" }));
        Assert.False(store.IsProcessed(fp with { Path = "/logs/b.json" }));

        // The file grew: its new fingerprint replaces the old one.
        store.Commit(fp with { Size = 200 }, []);
        Assert.True(store.IsProcessed(fp with { Size = 200 }));
        Assert.False(store.IsProcessed(fp));
    }

    [Fact]
    public void An_inputs_matches_and_its_processed_mark_commit_together_or_not_at_all()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using var store = new SqliteAlertStore(path);
        store.Commit(Fp("/logs/before.json"), [M("e0", 0)]);

        // The third match cannot be stored (a title is required): the two before it and the input's mark go too.
        var broken = new List<StoredMatch> { M("e1", 1), M("e2", 2), M("e3", 3, title: null) };
        Assert.ThrowsAny<Exception>(() => store.Commit(Fp("/logs/a.json"), broken));

        Assert.False(store.IsProcessed(Fp("/logs/a.json")));
        Assert.Equal(["e0"], store.Matches().Select(m => m.EventKey));
        Assert.Equal(1, Count(path, "inputs"));

        // The store is usable after the failure, and the same input commits whole the next time.
        store.Commit(Fp("/logs/a.json"), [M("e1", 1), M("e2", 2)]);
        Assert.True(store.IsProcessed(Fp("/logs/a.json")));
        Assert.Equal(["e0", "e1", "e2"], store.Matches().Select(m => m.EventKey));
    }

    [Fact]
    public async Task A_reader_on_another_connection_never_sees_an_input_half_committed()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using var store = new SqliteAlertStore(path);
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < 60; i++)
                store.Commit(Fp($"/logs/{i}.json"), Enumerable.Range(0, 50).Select(j => M($"e{i:D3}-{j:D3}", i + j / 100.0)).ToList());
        });
        using var reader = new SqliteAlertStore(path);
        int observations = 0;
        while (!writer.IsCompleted || observations == 0)
        {
            // Each input brings exactly 50 matches: a consistent snapshot always holds 50 per processed input.
            using var c = Trail.OpenReadOnly(path);
            using var tx = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT (SELECT COUNT(*) FROM inputs), (SELECT COUNT(*) FROM matches)";
            using var r = cmd.ExecuteReader();
            r.Read();
            Assert.Equal(r.GetInt64(0) * 50, r.GetInt64(1));
            observations++;
        }
        await writer;
        Assert.Equal(3000, reader.Matches().Count);
    }

    [Fact]
    public void Statuses_are_kept_per_alert_id_and_overwritten_by_the_latest_change()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using (var store = new SqliteAlertStore(path))
        {
            store.SetStatus("aaaa", "closed", "known change");
            store.SetStatus("bbbb", "closed", "x");
            store.SetStatus("bbbb", "open", null);
        }
        using var again = new SqliteAlertStore(path);
        var statuses = again.Statuses();
        Assert.Equal(2, statuses.Count);
        Assert.Equal(("closed", "known change"), statuses["aaaa"]);
        Assert.Equal(("open", (string?)null), statuses["bbbb"]);
    }

    [Fact]
    public void A_version_1_file_is_migrated_to_version_2_and_keeps_its_login_profiles()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        var profile = new DatabaseProfile { Database = "orders-db", Engine = "postgres", SuccessfulLogins = 42, FirstSeen = T0, LastSeen = T0.AddDays(2), Horizon = T0.AddDays(2) };
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // Exactly what a moat with schema 1 wrote: the login_profiles table, user_version 1.
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE login_profiles (database TEXT PRIMARY KEY, profile TEXT NOT NULL, updated TEXT NOT NULL);
                PRAGMA user_version=1;
                """;
            cmd.ExecuteNonQuery();
            cmd.CommandText = "INSERT INTO login_profiles(database, profile, updated) VALUES ('orders-db', $p, '2026-03-01T00:00:00Z')";
            cmd.Parameters.AddWithValue("$p", JsonSerializer.Serialize(profile));
            cmd.ExecuteNonQuery();
        }

        using (var store = new SqliteAlertStore(path))
        {
            store.Commit(Fp("/logs/a.json"), [M("e1", 0)]);
            Assert.Single(store.Matches());
        }

        using (var c = Trail.OpenReadOnly(path))
        {
            Assert.Equal(Moat.State.Sqlite.StateFile.SchemaVersion, Trail.Scalar(c, "PRAGMA user_version"));
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var r = cmd.ExecuteReader();
            var names = new List<string>();
            while (r.Read()) names.Add(r.GetString(0));
            Assert.Equal(["activity", "alert_status", "deliveries", "inputs", "login_profiles", "matches", "matches_by_key", "suppression_hits"], names);
        }
        using var profiles = new SqliteProfileStore(path);
        Assert.Equal(["orders-db"], profiles.Databases());
        Assert.Equal(42, profiles.Load("orders-db")!.SuccessfulLogins);
    }

    [Fact]
    public void A_new_file_is_created_at_the_current_version_and_reopening_changes_nothing()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "nested", "deeper", "state.db");
        using (var store = new SqliteAlertStore(path)) store.Commit(Fp("/a"), [M("e1", 0)]);
        using (var store = new SqliteAlertStore(path)) Assert.Single(store.Matches());
        using var c = Trail.OpenReadOnly(path);
        Assert.Equal(Moat.State.Sqlite.StateFile.SchemaVersion, Trail.Scalar(c, "PRAGMA user_version"));
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public void A_file_from_a_newer_moat_is_refused_with_a_clear_message_and_left_untouched()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE TABLE future (x INTEGER); PRAGMA user_version={Moat.State.Sqlite.StateFile.SchemaVersion + 1};";
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => new SqliteAlertStore(path));
        Assert.Contains("newer moat", e.Message);
        Assert.Contains($"schema {Moat.State.Sqlite.StateFile.SchemaVersion + 1}", e.Message);
        Assert.Contains(path, e.Message);

        using (var c = Trail.OpenReadOnly(path))
        {
            Assert.Equal(Moat.State.Sqlite.StateFile.SchemaVersion + 1, Trail.Scalar(c, "PRAGMA user_version"));
            Assert.Equal(0, Trail.Scalar(c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'matches'"));
        }

        // Through the CLI: exit 2 and one line naming the file and the reason, no stack trace.
        foreach (string[] args in new[] { new[] { "alerts", "list", "--state", path }, ["scan", Repo.Path("samples", "cloudtrail"), "--state", path, "-q"] })
        {
            var run = MoatProcess.Run(args);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"cannot open the state file {path}: state file {path} was written by a newer moat (schema {Moat.State.Sqlite.StateFile.SchemaVersion + 1}; this one knows {Moat.State.Sqlite.StateFile.SchemaVersion})", run.Stderr);
            Assert.DoesNotContain("   at ", run.Stderr);
            Assert.Equal("", run.Stdout);
        }
    }
}
