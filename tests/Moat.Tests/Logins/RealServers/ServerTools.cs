using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Moat.Tests.Logins.RealServers;

public sealed record ToolRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    public string Output => (Stdout + Stderr).Trim();

    public override string ToString() => $"`{Command}` exited {ExitCode}: {Output}";
}

/// <summary>Process, port and file helpers shared by the real database servers the login tests start.</summary>
public static class ServerTools
{
    public const string InstallHint =
        "Run ./test.sh from the repository root: it installs PostgreSQL and MariaDB with apt-get when they are missing " +
        "(apt-get install postgresql mariadb-server mariadb-client).";

    private static readonly Lazy<bool> Root = new(() => Run("id", ["-u"]).Stdout.Trim() == "0");

    /// <summary>True when the tests run as root (CI does): PostgreSQL then has to run as another user.</summary>
    public static bool IsRoot => Root.Value;

    /// <summary>
    /// Runs a program to completion and returns its output. Client settings inherited from the environment
    /// (PGHOST, PGUSER, MYSQL_PWD...) are dropped so that only the arguments and <paramref name="env"/> count.
    /// With <paramref name="runAs"/>, the program runs as that user through runuser (which needs root).
    /// </summary>
    public static ToolRun Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null,
        string? workingDirectory = null, string? runAs = null, TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo(runAs is null ? file : Find(["runuser"]) ?? "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        if (runAs is not null)
            foreach (var a in new[] { "-u", runAs, "--", file }) psi.ArgumentList.Add(a);
        foreach (var a in argList) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal) || k.StartsWith("MYSQL", StringComparison.Ordinal) || k.StartsWith("MARIADB", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        if (env is not null)
            foreach (var (k, v) in env)
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;

        var command = (runAs is null ? "" : $"runuser -u {runAs} -- ") + file + " " + string.Join(' ', argList);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start `{command}`: {e.Message}. {InstallHint}", e);
        }
        using (p)
        {
            p.StandardInput.Close(); // no client may wait for a password on the terminal
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new TimeoutException($"`{command}` did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s");
            }
            p.WaitForExit();
            return new ToolRun(command, p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs a program and throws with its output when it fails.</summary>
    public static ToolRun Check(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null,
        string? workingDirectory = null, string? runAs = null, TimeSpan? timeout = null, string? context = null)
    {
        var run = Run(file, args, env, workingDirectory, runAs, timeout);
        if (run.ExitCode != 0) throw new InvalidOperationException((context is null ? "" : context + ": ") + run);
        return run;
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (callers retry if a server loses the race).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }

    /// <summary>Opens a TCP connection to the port and closes it without sending a byte: a probe, a port scan.</summary>
    public static void Probe(int port)
    {
        using var c = new TcpClient();
        c.Connect(IPAddress.Loopback, port);
        c.Close();
    }

    /// <summary>
    /// A new empty folder for one server. As root it is made under /tmp, which every user can traverse, so that
    /// the postgres user can reach it even when TMPDIR points into root's home.
    /// </summary>
    public static string NewDirectory(string prefix)
    {
        var parent = IsRoot ? "/tmp" : Path.GetTempPath();
        var dir = Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void DeleteDirectory(string? dir)
    {
        if (dir is null || !Directory.Exists(dir)) return;
        for (int i = 0; i < 3; i++)
        {
            try { Directory.Delete(dir, recursive: true); return; }
            catch (IOException) { Thread.Sleep(200); }
            catch (UnauthorizedAccessException) { Thread.Sleep(200); }
        }
    }

    /// <summary>The first existing file among the candidates, or the first name found on PATH.</summary>
    public static string? Find(IEnumerable<string> candidates)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"]).Distinct().ToList();
        foreach (var c in candidates)
        {
            if (c.Contains('/'))
            {
                if (File.Exists(c)) return c;
                continue;
            }
            foreach (var dir in path)
            {
                var full = Path.Combine(dir, c);
                if (File.Exists(full)) return full;
            }
        }
        return null;
    }

    /// <summary>The last part of a text file, for error messages.</summary>
    public static string Tail(string path, int chars = 3000)
    {
        if (!File.Exists(path)) return $"({path} does not exist)";
        var text = ReadShared(path, 0);
        return text.Length <= chars ? text : "..." + text[^chars..];
    }

    /// <summary>Reads a file from an offset while its server may still be writing it.</summary>
    public static string ReadShared(string path, long offset)
    {
        if (!File.Exists(path)) return "";
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (offset > fs.Length) return "";
        fs.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(fs, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }

    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>
    /// Waits until the lines a server wrote to <paramref name="path"/> since <paramref name="offset"/> hold everything
    /// <paramref name="complete"/> expects and nothing more arrives for a moment, then returns those complete lines.
    /// Servers write connection lines a little after the client has returned (a session's disconnection line
    /// only when its backend exits), so a phase is taken only when all of its lines are there.
    /// </summary>
    public static string WaitForLines(string path, long offset, Func<string, bool> complete, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        string text = "";
        while (DateTime.UtcNow < deadline)
        {
            text = ReadShared(path, offset);
            if (complete(text))
            {
                Thread.Sleep(150);
                var again = ReadShared(path, offset);
                if (again.Length == text.Length)
                {
                    int end = text.LastIndexOf('\n');
                    return end < 0 ? "" : text[..(end + 1)];
                }
                continue;
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"the server log {path} did not show {what} within the time allowed; it has since the phase began:\n{text}");
    }

    public static int CountOccurrences(string text, string needle)
    {
        int n = 0;
        for (int i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
