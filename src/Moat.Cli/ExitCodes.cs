namespace Moat.Cli;

/// <summary>Exit codes of <c>moat</c> (documented in docs/cli.md). When several apply, the highest wins.</summary>
internal static class ExitCodes
{
    /// <summary>The command completed (a scan may have findings below --fail-on).</summary>
    public const int Ok = 0;

    /// <summary>Findings at or above --fail-on, or failing rule tests.</summary>
    public const int Findings = 1;

    /// <summary>Usage error, or rule errors (bad rules are reported; the good ones still run).</summary>
    public const int UsageOrRules = 2;

    /// <summary>Some input could not be read completely (every readable record was still scanned).</summary>
    public const int InputUnreadable = 3;

    public static int Worst(int a, int b)
    {
        // Ranking: usage/rule errors > unreadable input > findings > ok.
        static int Rank(int c) => c switch { UsageOrRules => 3, InputUnreadable => 2, Findings => 1, _ => 0 };
        return Rank(a) >= Rank(b) ? a : b;
    }
}
