namespace Moat.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var stdout = Console.OpenStandardOutput();
        var app = new CliApp(stdout, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected);
        int code = app.Run(args);
        stdout.Flush(); // CliApp flushes its buffer into stdout before returning
        return code;
    }
}
