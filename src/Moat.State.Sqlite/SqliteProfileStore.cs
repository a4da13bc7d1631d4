using System.Text.Json;
using Microsoft.Data.Sqlite;
using Moat.Logins;

namespace Moat.State.Sqlite;

/// <summary>
/// Login profiles in the state file. One row per database holding its profile as JSON: profiles are small and
/// read whole, so a normalised schema would buy nothing but joins. Writes happen in one transaction at the end
/// of a scan.
/// </summary>
public sealed class SqliteProfileStore : IProfileStore, IDisposable
{
    private readonly SqliteConnection _db;

    public string Path { get; }

    public SqliteProfileStore(string path)
    {
        Path = path;
        _db = StateFile.Open(path);
    }

    /// <summary>The default state file: the user's data folder (~/.local/share/moat/state.db on Linux).</summary>
    public static string DefaultPath() =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "moat", "state.db");

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

    public void Dispose() => _db.Dispose();
}
