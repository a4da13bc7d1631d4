using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Moat.Tests.Logins.RealServers;

/// <summary>
/// A MariaDB server of its own for the login tests (an xunit class fixture): a data folder made by
/// mariadb-install-db in a temporary folder, mariadbd on 127.0.0.1 at a free port with the server_audit plugin
/// logging CONNECT events to one known file (what RDS for MariaDB/MySQL publishes as its audit log).
/// Users app and analyst ('%' hosts, passwords), databases orders and reports.
/// The traffic every test reads is recorded once, on first use.
/// </summary>
public sealed class MariaDbServer : ILoginServer, IDisposable
{
    private readonly Lazy<RecordedTraffic> _traffic;
    private Process? _server;

    public string Daemon { get; }
    public string InstallDb { get; }
    public string Client { get; }
    public string? Admin { get; }
    public string Root { get; }
    public string DataDir => Path.Combine(Root, "data");
    public string Socket => Path.Combine(Root, "mysqld.sock");
    public string ErrorLog => Path.Combine(Root, "error.log");
    public string LogPath => Path.Combine(Root, "audit.log");
    public int Port { get; private set; }
    public string Kind => "mysql-audit";

    /// <summary>
    /// The audit log has no line of its own for a connection that never tried to log in: MariaDB 10.11 writes it as
    /// a FAILED_CONNECT with an empty user and error 1158 (a network read error), like a refused login. The tests'
    /// normal traffic leaves such connections out; the probe phase records them to show what the log holds.
    /// </summary>
    public bool LogsIncompleteConnections => false;

    public RecordedTraffic Traffic => _traffic.Value;

    public MariaDbServer()
    {
        Daemon = ServerTools.Find(["mariadbd", "mysqld"]) ?? throw Missing("the server (mariadbd)");
        InstallDb = ServerTools.Find(["mariadb-install-db", "mysql_install_db"]) ?? throw Missing("mariadb-install-db");
        Client = ServerTools.Find(["mariadb", "mysql"]) ?? throw Missing("the client (mariadb)");
        Admin = ServerTools.Find(["mariadb-admin", "mysqladmin"]);
        Root = ServerTools.NewDirectory("moat-mariadb-");
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

    private static InvalidOperationException Missing(string what) =>
        new($"MariaDB's {what} was not found on PATH or in /usr/sbin, /usr/bin. " + ServerTools.InstallHint);

    private void Start()
    {
        // --no-defaults must come first: nothing from /etc/mysql may change the server.
        var install = new List<string> { "--no-defaults", $"--datadir={DataDir}", "--auth-root-authentication-method=normal", "--skip-test-db" };
        if (ServerTools.IsRoot) install.Add("--user=root");
        ServerTools.Check(InstallDb, install, workingDirectory: Root, timeout: TimeSpan.FromSeconds(180), context: "mariadb-install-db failed");
        Directory.CreateDirectory(Path.Combine(Root, "tmp"));

        for (int attempt = 1; ; attempt++)
        {
            Port = ServerTools.FreePort();
            var offset = ServerTools.Length(ErrorLog);
            var psi = new ProcessStartInfo(Daemon)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Root,
            };
            foreach (var a in new[]
            {
                "--no-defaults",
                $"--datadir={DataDir}", $"--socket={Socket}", $"--pid-file={Path.Combine(Root, "mysqld.pid")}", $"--tmpdir={Path.Combine(Root, "tmp")}",
                "--bind-address=127.0.0.1", $"--port={Port}",
                "--skip-name-resolve", // the audit log then names clients by address (127.0.0.1), not by host name
                $"--log-error={ErrorLog}", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
                "--plugin-load-add=server_audit", "--server-audit-logging=ON", "--server-audit-events=CONNECT",
                $"--server-audit-file-path={LogPath}",
            }) psi.ArgumentList.Add(a);
            if (ServerTools.IsRoot) psi.ArgumentList.Add("--user=root");
            psi.Environment["TZ"] = "UTC"; // the audit log writes local time without a zone
            _server = Process.Start(psi)!;
            _server.OutputDataReceived += (_, _) => { };
            _server.ErrorDataReceived += (_, _) => { };
            _server.BeginOutputReadLine();
            _server.BeginErrorReadLine();

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string log = "";
            while (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                log = ServerTools.ReadShared(ErrorLog, offset);
                if (log.Contains("ready for connections", StringComparison.Ordinal)) break;
                Thread.Sleep(100);
            }
            if (!_server.HasExited && log.Contains("ready for connections", StringComparison.Ordinal)) break;
            StopProcess(graceful: false);
            log = ServerTools.ReadShared(ErrorLog, offset);
            if (attempt < 3 && log.Contains("Address already in use", StringComparison.Ordinal)) continue;
            throw new InvalidOperationException($"MariaDB did not start on port {Port} (mariadbd with server_audit); its error log says:\n{log}");
        }

        // Users and databases, through the socket as root; the audit log shows that session before any test phase.
        var setOffset = ServerTools.Length(LogPath);
        ServerTools.Check(Client, ["--no-defaults", $"--socket={Socket}", "-u", "root", "-e", $"""
            CREATE DATABASE orders; CREATE DATABASE reports;
            CREATE USER 'app'@'%' IDENTIFIED BY '{LoginTraffic.AppPassword}';
            CREATE USER 'analyst'@'%' IDENTIFIED BY '{LoginTraffic.AnalystPassword}';
            GRANT ALL ON orders.* TO 'app'@'%';
            GRANT SELECT ON orders.* TO 'analyst'@'%';
            GRANT SELECT ON reports.* TO 'analyst'@'%';
            """], workingDirectory: Root, context: "creating the users and databases");
        ServerTools.WaitForLines(LogPath, setOffset, t => HasLinesFor(t, new PhaseCounts(1, 0, 0)), "the set-up session's lines");
    }

    public ToolRun Login(string user, string password, string database, string? application) =>
        // The MariaDB audit log has no application name, so application is not sent.
        ServerTools.Run(Client, ["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", Port.ToString(CultureInfo.InvariantCulture),
                "-u", user, $"--password={password}", "--connect-timeout=10", "-N", "-B", "-e", "SELECT 1", database],
            workingDirectory: Root, timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// A login writes CONNECT, a refused one FAILED_CONNECT, and so does a probe (see
    /// <see cref="LogsIncompleteConnections"/>); each connection ends with DISCONNECT.
    /// </summary>
    public bool HasLinesFor(string logText, PhaseCounts counts) =>
        ServerTools.CountOccurrences(logText, ",CONNECT,") >= counts.Successes
        && ServerTools.CountOccurrences(logText, ",FAILED_CONNECT,") >= counts.Failures + counts.Probes
        && ServerTools.CountOccurrences(logText, ",DISCONNECT,") >= counts.Successes + counts.Failures + counts.Probes;

    private static readonly Regex Stamp = new(@"^(\d{8} \d\d:\d\d:\d\d),", RegexOptions.Multiline | RegexOptions.Compiled);

    /// <summary>The times of the audit lines in a text (whole seconds).</summary>
    public static List<DateTime> Times(string logText) =>
        Stamp.Matches(logText).Select(m => DateTime.ParseExact(m.Groups[1].Value, "yyyyMMdd HH:mm:ss", CultureInfo.InvariantCulture)).ToList();

    private void OnProcessExit(object? sender, EventArgs e) => StopProcess();

    private void StopProcess(bool graceful = true)
    {
        var p = _server;
        if (p is null) return;
        _server = null;
        try
        {
            if (graceful && !p.HasExited && Admin is not null)
                ServerTools.Run(Admin, ["--no-defaults", $"--socket={Socket}", "-u", "root", "shutdown"], workingDirectory: Root, timeout: TimeSpan.FromSeconds(30));
            if (!p.WaitForExit(graceful ? 30_000 : 0)) p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        finally
        {
            p.Dispose();
        }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        StopProcess();
        ServerTools.DeleteDirectory(Root);
    }
}
