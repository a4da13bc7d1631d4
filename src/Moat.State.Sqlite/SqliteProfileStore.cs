using System.Text.Json;
using Microsoft.Data.Sqlite;
using Moat.Logins;

namespace Moat.State.Sqlite;

/// <summary>
/// Login profiles in a SQLite file. One row per database holding its profile as JSON: profiles are small and
/// read whole, so a normalised schema would buy nothing but joins. Schema changes are versioned through
/// <c>PRAGMA user_version</c>; writes happen in one transaction at the end of a scan, in WAL mode with a busy
/// timeout, so a second <c>moat</c> on the same file waits instead of corrupting it.
/// </summary>
public sealed class SqliteProfileStore : IProfileStore, IDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _db;

    public string Path { get; }

    public SqliteProfileStore(string path)
    {
        Path = path;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 60 }.ToString());
        _db.Open();
        Exec("PRAGMA journal_mode=WAL;");
        Exec("PRAGMA busy_timeout=60000;");
        Migrate();
    }

    /// <summary>The default state file: the user's data folder (~/.local/share/moat/state.db on Linux).</summary>
    public static string DefaultPath() =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "moat", "state.db");

    private void Migrate()
    {
        using var tx = _db.BeginTransaction();
        long version = Scalar("PRAGMA user_version;", tx);
        if (version > SchemaVersion)
            throw new InvalidOperationException($"state file {Path} was written by a newer moat (schema {version}; this one knows {SchemaVersion})");
        if (version < 1)
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS login_profiles (
                    database TEXT PRIMARY KEY,
                    profile  TEXT NOT NULL,
                    updated  TEXT NOT NULL
                );
                """, tx);
        }
        Exec($"PRAGMA user_version={SchemaVersion};", tx);
        tx.Commit();
    }

    public DatabaseProfile? Load(string database)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT profile FROM login_profiles WHERE database = $db";
        cmd.Parameters.AddWithValue("$db", database);
        var json = cmd.ExecuteScalar() as string;
        return json is null ? null : JsonSerializer.Deserialize<DatabaseProfile>(json);
    }

    public void Save(IReadOnlyCollection<DatabaseProfile> profiles)
    {
        using var tx = _db.BeginTransaction();
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO login_profiles(database, profile, updated) VALUES($db, $p, $u) ON CONFLICT(database) DO UPDATE SET profile = excluded.profile, updated = excluded.updated";
        var db = cmd.Parameters.Add("$db", SqliteType.Text);
        var p = cmd.Parameters.Add("$p", SqliteType.Text);
        var u = cmd.Parameters.Add("$u", SqliteType.Text);
        foreach (var profile in profiles)
        {
            db.Value = profile.Database;
            p.Value = JsonSerializer.Serialize(profile);
            u.Value = DateTimeOffset.UtcNow.ToString("O");
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>All stored database names (for reports).</summary>
    public IReadOnlyList<string> Databases()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT database FROM login_profiles ORDER BY database";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private void Exec(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private long Scalar(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _db.Dispose();
}
