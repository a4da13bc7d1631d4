using System.Globalization;
using System.Text.RegularExpressions;

namespace Moat.Tests.Logins.RealServers;

/// <summary>
/// A PostgreSQL server of its own for the login tests (an xunit class fixture): a new cluster in a temporary
/// folder, listening on 127.0.0.1 at a free port, logging like RDS/Aurora PostgreSQL
/// (log_line_prefix '%t:%r:%u@%d:[%p]:', log_connections, log_disconnections) to one known file.
/// Users app and analyst log in with SCRAM passwords over TCP; databases orders and reports exist.
/// PostgreSQL refuses to run as root, so as root (CI) initdb and pg_ctl run as the postgres user through runuser.
/// The traffic every test reads is recorded once, on first use.
/// </summary>
public sealed class PostgreSqlServer : ILoginServer, IDisposable
{
    private const string SuperPassword = "super-Pass-9902";

    private readonly string? _runAs;
    private readonly Lazy<RecordedTraffic> _traffic;
    private bool _started;

    public string BinDir { get; }
    public string Psql { get; }
    public string Root { get; }
    public string DataDir => Path.Combine(Root, "data");
    public string LogPath => Path.Combine(Root, "log", "postgresql.log");
    public int Port { get; private set; }
    public string Kind => "postgresql";
    public bool LogsIncompleteConnections => true;
    public RecordedTraffic Traffic => _traffic.Value;

    public PostgreSqlServer()
    {
        BinDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found in /usr/lib/postgresql/*/bin, " +
            "pg_config --bindir or PATH. " + ServerTools.InstallHint);
        Psql = File.Exists(Path.Combine(BinDir, "psql")) ? Path.Combine(BinDir, "psql")
            : ServerTools.Find(["psql"]) ?? throw new InvalidOperationException("psql was not found. " + ServerTools.InstallHint);
        if (ServerTools.IsRoot)
        {
            if (ServerTools.Run("id", ["-u", "postgres"]).ExitCode != 0)
                throw new InvalidOperationException("the tests run as root, PostgreSQL refuses to, and there is no 'postgres' user to run it as. " + ServerTools.InstallHint);
            _runAs = "postgres";
        }
        Root = ServerTools.NewDirectory("moat-pg-");
        _traffic = new Lazy<RecordedTraffic>(() => LoginTraffic.Record(this), LazyThreadSafetyMode.ExecutionAndPublication);
        try
        {
            Start();
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static string? FindBinDir()
    {
        static bool HasServer(string? dir) => dir is not null && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        var env = Environment.GetEnvironmentVariable("MOAT_PG_BINDIR");
        if (HasServer(env)) return env;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => HasServer(d.Dir)).OrderByDescending(d => d.Version).FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        var pgConfig = ServerTools.Find(["pg_config"]);
        if (pgConfig is not null)
        {
            var dir = ServerTools.Run(pgConfig, ["--bindir"]).Stdout.Trim();
            if (HasServer(dir)) return dir;
        }
        var initdb = ServerTools.Find(["initdb"]);
        return initdb is null ? null : Path.GetDirectoryName(initdb);
    }

    private ToolRun Server(string program, IEnumerable<string> args, string context, TimeSpan? timeout = null) =>
        ServerTools.Check(Path.Combine(BinDir, program), args, workingDirectory: Root, runAs: _runAs, timeout: timeout, context: context);

    private void Start()
    {
        var pwfile = Path.Combine(Root, "superuser.pw");
        File.WriteAllText(pwfile, SuperPassword + "\n");
        if (_runAs is not null) ServerTools.Check("chown", ["-R", _runAs, Root], context: "giving the PostgreSQL folder to " + _runAs);

        Server("initdb", ["-D", DataDir, "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8", "--locale=C", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256"], "initdb failed", TimeSpan.FromSeconds(120));

        File.AppendAllText(Path.Combine(DataDir, "postgresql.conf"), $"""

            # Moat login tests: RDS/Aurora's log line prefix and connection logging, to one known file.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{Root}'
            password_encryption = 'scram-sha-256'
            log_line_prefix = '%t:%r:%u@%d:[%p]:'
            log_connections = on
            log_disconnections = on
            log_timezone = 'UTC'
            logging_collector = on
            log_directory = '{Path.Combine(Root, "log")}'
            log_filename = 'postgresql.log'
            log_file_mode = 0644
            log_rotation_age = 0
            log_rotation_size = 0
            max_connections = 20
            shared_buffers = 16MB
            fsync = off

            """);
        // Password authentication for TCP from 127.0.0.1; the local socket (used only to create the users) trusts.
        File.WriteAllText(Path.Combine(DataDir, "pg_hba.conf"), """
            local   all   all                  trust
            host    all   all   127.0.0.1/32   scram-sha-256

            """);

        // The port is chosen free just before the start; if another process takes it meanwhile, try another.
        for (int attempt = 1; ; attempt++)
        {
            Port = ServerTools.FreePort();
            var startLog = Path.Combine(Root, "pg_ctl.log");
            var run = ServerTools.Run(Path.Combine(BinDir, "pg_ctl"), ["-D", DataDir, "-l", startLog, "-o", $"-p {Port}", "-w", "-t", "60", "start"],
                workingDirectory: Root, runAs: _runAs, timeout: TimeSpan.FromSeconds(90));
            if (run.ExitCode == 0) break;
            var why = ServerTools.Tail(startLog) + "\n" + ServerTools.Tail(LogPath);
            if (attempt < 3 && why.Contains("could not bind", StringComparison.Ordinal)) continue;
            throw new InvalidOperationException($"PostgreSQL did not start on port {Port}: {run}\n{why}");
        }
        _started = true;

        // Users and databases, through the local socket so that the TCP lines in the log are the tests' own.
        var offset = ServerTools.Length(LogPath);
        ServerTools.Check(Psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", Root, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres",
                "-c", $"CREATE ROLE app LOGIN PASSWORD '{LoginTraffic.AppPassword}'",
                "-c", $"CREATE ROLE analyst LOGIN PASSWORD '{LoginTraffic.AnalystPassword}'",
                "-c", "CREATE DATABASE orders OWNER app",
                "-c", "CREATE DATABASE reports"],
            env: new Dictionary<string, string?> { ["PGCONNECT_TIMEOUT"] = "10" }, workingDirectory: Root, context: "creating the users and databases");
        ServerTools.WaitForLines(LogPath, offset, t => HasLinesFor(t, new PhaseCounts(1, 0, 0)), "the set-up session's lines");
    }

    public ToolRun Login(string user, string password, string database, string? application) =>
        ServerTools.Run(Psql, ["-X", "-w", "-q", "-tA", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", user, "-d", database, "-c", "SELECT 1"],
            env: new Dictionary<string, string?>
            {
                ["PGPASSWORD"] = password,
                ["PGAPPNAME"] = application, // without it psql reports application_name=psql
                ["PGSSLMODE"] = "disable",
                ["PGGSSENCMODE"] = "disable",
                ["PGCONNECT_TIMEOUT"] = "10",
            },
            workingDirectory: Root, timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// Every connection logs "connection received"; a session that logged in logs "disconnection" when it ends,
    /// a refused one a FATAL line; a probe logs nothing more.
    /// </summary>
    public bool HasLinesFor(string logText, PhaseCounts counts) =>
        ServerTools.CountOccurrences(logText, "LOG:  connection received:") >= counts.Successes + counts.Failures + counts.Probes
        && ServerTools.CountOccurrences(logText, "LOG:  disconnection:") >= counts.Successes
        && ServerTools.CountOccurrences(logText, "FATAL:  ") >= counts.Failures;

    private static readonly Regex Stamp = new(@"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC:", RegexOptions.Multiline | RegexOptions.Compiled);

    /// <summary>The times of the log lines in a text (whole seconds, as %t writes them).</summary>
    public static List<DateTime> Times(string logText) =>
        Stamp.Matches(logText).Select(m => DateTime.ParseExact(m.Groups[1].Value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).ToList();

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    private void Stop()
    {
        if (!_started) return;
        _started = false;
        var run = ServerTools.Run(Path.Combine(BinDir, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "-t", "30", "stop"],
            workingDirectory: Root, runAs: _runAs, timeout: TimeSpan.FromSeconds(45));
        if (run.ExitCode == 0) return;
        // Still running (or pg_ctl could not tell): end the postmaster by the PID it recorded.
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
            ServerTools.Run("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop();
        ServerTools.DeleteDirectory(Root);
    }
}
