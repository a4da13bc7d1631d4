using Microsoft.Data.Sqlite;

namespace Moat.State.Sqlite;

/// <summary>
/// Opens the state file and brings its schema up to date. Versions are kept in <c>PRAGMA user_version</c> and
/// applied in order, each in a transaction; a file from a newer moat is refused rather than guessed at. WAL mode
/// with a long busy timeout lets a second <c>moat</c> on the same file wait for the first instead of corrupting it.
/// </summary>
internal static class StateFile
{
    public const int SchemaVersion = 4;

    private static readonly string[] Migrations =
    [
        // 1: login profiles
        """
        CREATE TABLE IF NOT EXISTS login_profiles (
            database TEXT PRIMARY KEY,
            profile  TEXT NOT NULL,
            updated  TEXT NOT NULL
        );
        """,
        // 2: processed inputs, matches (idempotent by rule and event), analyst status of alerts
        """
        CREATE TABLE IF NOT EXISTS inputs (
            path      TEXT PRIMARY KEY,
            size      INTEGER NOT NULL,
            modified  INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            scanned   TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS matches (
            rule_id        TEXT NOT NULL,
            event_key      TEXT NOT NULL,
            dedup_key      TEXT NOT NULL,
            event_time     TEXT NOT NULL,
            severity       INTEGER NOT NULL,
            title          TEXT NOT NULL,
            account        TEXT,
            principal      TEXT,
            period_seconds REAL NOT NULL,
            threshold      INTEGER NOT NULL,
            distinct_value TEXT,
            finding        TEXT NOT NULL,
            PRIMARY KEY (rule_id, event_key)
        );
        CREATE INDEX IF NOT EXISTS matches_by_key ON matches(rule_id, dedup_key, event_time);
        CREATE TABLE IF NOT EXISTS activity (
            input      TEXT PRIMARY KEY,
            events     INTEGER NOT NULL,
            first_time TEXT,
            last_time  TEXT,
            data       BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alert_status (
            alert_id TEXT PRIMARY KEY,
            status   TEXT NOT NULL,
            reason   TEXT,
            changed  TEXT NOT NULL
        );
        """,
        // 3: what each alert destination last received of each alert (count and status), so that only new or
        // changed alerts are sent; failed deliveries are not recorded here (they are in the dead-letter file)
        """
        CREATE TABLE IF NOT EXISTS deliveries (
            destination TEXT NOT NULL,
            alert_id    TEXT NOT NULL,
            count       INTEGER NOT NULL,
            status      TEXT NOT NULL,
            delivered   TEXT NOT NULL,
            PRIMARY KEY (destination, alert_id)
        );
        """,
        // 4: matches kept only as input to Sigma correlations (their rule does not alert on its own), and
        // how often each suppression applied
        """
        ALTER TABLE matches ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS suppression_hits (
            name     TEXT PRIMARY KEY,
            hits     INTEGER NOT NULL,
            last_hit TEXT NOT NULL
        );
        """,
    ];

    public static SqliteConnection Open(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 120 }.ToString());
        db.Open();
        Exec(db, "PRAGMA busy_timeout=120000;");
        Exec(db, "PRAGMA journal_mode=WAL;");
        Exec(db, "PRAGMA synchronous=NORMAL;");
        try
        {
            Migrate(db, path);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return db;
    }

    private static void Migrate(SqliteConnection db, string path)
    {
        using var tx = db.BeginTransaction(deferred: false);
        long version = Convert.ToInt64(Scalar(db, tx, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new InvalidOperationException($"state file {path} was written by a newer moat (schema {version}; this one knows {SchemaVersion})");
        for (long v = version; v < SchemaVersion; v++)
        {
            using var cmd = db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Migrations[v];
            cmd.ExecuteNonQuery();
        }
        using (var set = db.CreateCommand())
        {
            set.Transaction = tx;
            set.CommandText = $"PRAGMA user_version={SchemaVersion};";
            set.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection db, SqliteTransaction tx, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
