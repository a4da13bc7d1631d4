using Moat.Logins;
using Moat.State.Sqlite;
using Moat.Tests.Support;

namespace Moat.Tests.State;

public sealed class SqliteProfileStoreTests
{
    [Fact]
    public void Profiles_round_trip_through_the_file_and_survive_reopening()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "nested", "state.db");
        var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var p = new DatabaseProfile { Database = "orders-db", Engine = "postgres", FirstSeen = t, LastSeen = t.AddDays(3), Horizon = t.AddDays(3), SuccessfulLogins = 2 };
        p.AtHorizon.Add("x");
        p.Users["app"] = new UserProfile();
        DatabaseProfile.Add(p.Users["app"].Networks, "10.0.1.0/24", t);
        using (var store = new SqliteProfileStore(path)) store.Save([p]);
        using (var store = new SqliteProfileStore(path))
        {
            var back = store.Load("orders-db")!;
            Assert.Equal(2, back.SuccessfulLogins);
            Assert.Equal(t.AddDays(3), back.Horizon);
            Assert.Contains("x", back.AtHorizon);
            Assert.Equal(1, back.Users["app"].Networks["10.0.1.0/24"].Count);
            Assert.Null(store.Load("other"));
            Assert.Equal(["orders-db"], store.Databases());
        }
    }

    [Fact]
    public void Two_stores_on_one_file_write_without_corrupting_it()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using var a = new SqliteProfileStore(path);
        using var b = new SqliteProfileStore(path);
        Parallel.For(0, 50, i =>
        {
            var s = i % 2 == 0 ? a : b;
            lock (s) s.Save([new DatabaseProfile { Database = "db" + i, SuccessfulLogins = i }]);
        });
        Assert.Equal(50, a.Databases().Count);
        Assert.Equal(49, b.Load("db49")!.SuccessfulLogins);
    }

    [Fact]
    public void A_state_file_from_a_newer_schema_is_refused_with_a_clear_message()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "state.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version=99;";
            cmd.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var e = Assert.Throws<InvalidOperationException>(() => new SqliteProfileStore(path));
        Assert.Contains("newer moat", e.Message);
    }
}
