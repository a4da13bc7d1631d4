using System.Diagnostics;

namespace Moat.Tests.Support;

internal sealed record MoatRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real `moat` executable built next to the tests.</summary>
internal static class MoatProcess
{
    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "moat.exe" : "moat");

    public static MoatRun Run(IEnumerable<string> args, string? workingDirectory = null, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("moat did not finish: " + string.Join(' ', args));
        }
        return new MoatRun(p.ExitCode, stdoutTask.Result, stderrTask.Result);
    }

    public static MoatRun Run(params string[] args) => Run((IEnumerable<string>)args);
}

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "moat-test-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name, string content)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public string File(string name, byte[] content)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllBytes(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Compares output with a golden file; MOAT_UPDATE_GOLDEN=1 rewrites the file instead.</summary>
internal static class Golden
{
    public static void AssertMatches(string relativePath, string actual)
    {
        var path = Repo.Path("tests", "Moat.Tests", relativePath);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("MOAT_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"golden file {relativePath} is missing; run with MOAT_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }
}
