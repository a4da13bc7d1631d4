using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Moat.Tests.Support;
using Xunit.Abstractions;

namespace Moat.Tests.Alerts;

/// <summary>
/// Two `moat scan` processes on one state file at the same time: WAL and the busy timeout make the second wait for
/// the first's transactions; both finish, and the state holds exactly the matches of both.
/// </summary>
[Collection(MoatProcessCollection.Name)]
public sealed class AlertConcurrencyTests(ITestOutputHelper output)
{
    private static void AssertClean(MoatRun run, string who)
    {
        Assert.True(run.ExitCode == 0, $"{who} exited {run.ExitCode}: {run.Stderr}");
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.DoesNotContain("Exception", run.Stderr);
        Assert.DoesNotContain("database is locked", run.Stderr);
    }

    private static long Inputs(string state)
    {
        using var c = Trail.OpenReadOnly(state);
        return Trail.Scalar(c, "SELECT COUNT(*) FROM inputs");
    }

    [Fact]
    public void Two_scans_started_together_on_one_state_file_both_finish_and_the_state_holds_the_matches_of_both()
    {
        using var tmp = new TempDir();
        // Two corpora over the same hours and keys, so their matches fall into the same alerts.
        var x = Path.Combine(tmp.Path, "x");
        var y = Path.Combine(tmp.Path, "y");
        Trail.WriteCorpus(x, 30, 400, seed: 1, idPrefix: "x");
        Trail.WriteCorpus(y, 30, 400, seed: 2, idPrefix: "y", offset: TimeSpan.FromMinutes(7));
        tmp.File("rules/threshold.yaml", Trail.ThresholdRule);
        var rules = Path.Combine(tmp.Path, "rules");
        string[] Scan(string corpus, string state) => ["scan", corpus, "--rules", rules, "--state", state, "--threads", "1", "-q", "--format", "jsonl"];

        // References, one scan after the other: X alone, Y alone, and X then Y into one state.
        var refX = Path.Combine(tmp.Path, "ref-x.db");
        var refY = Path.Combine(tmp.Path, "ref-y.db");
        var refXY = Path.Combine(tmp.Path, "ref-xy.db");
        AssertClean(MoatProcess.Run(Scan(x, refX)), "reference scan of x");
        AssertClean(MoatProcess.Run(Scan(y, refY)), "reference scan of y");
        AssertClean(MoatProcess.Run(Scan(x, refXY)), "reference scan of x");
        AssertClean(MoatProcess.Run(Scan(y, refXY)), "reference scan of y");
        var matchesX = Trail.MatchRows(refX);
        var matchesY = Trail.MatchRows(refY);
        var matchesXY = Trail.MatchRows(refXY);
        var alertsXY = Trail.AlertLines(refXY);
        Assert.True(matchesX.Count > 100 && matchesXY.Count > matchesX.Count + 100);
        Assert.True(Trail.AlertLines(refX).Count > alertsXY.Count / 2, "x and y should share alerts");

        // Fresh files each round: the two processes also race to create the file and migrate its schema.
        var rounds = new (string Name, string First, string Second)[] { ("different corpora", x, y), ("same corpus", x, x), ("different corpora again", y, x), ("same corpus again", y, y) };
        for (int i = 0; i < rounds.Length; i++)
        {
            var (name, first, second) = rounds[i];
            var state = Path.Combine(tmp.Path, $"round-{i}", "state.db");
            var clock = Stopwatch.StartNew();
            using var p1 = Trail.Start(Scan(first, state));
            using var p2 = Trail.Start(Scan(second, state));
            var r1 = p1.Wait();
            var r2 = p2.Wait();
            output.WriteLine($"{name}: both done in {clock.ElapsedMilliseconds} ms; {Trail.Lines(r1.Stdout).Count} + {Trail.Lines(r2.Stdout).Count} findings printed");
            AssertClean(r1, $"{name}: first scan");
            AssertClean(r2, $"{name}: second scan");

            if (first == second)
            {
                Assert.Equal(first == x ? matchesX : matchesY, Trail.MatchRows(state));
                Assert.Equal(30, Inputs(state));
            }
            else
            {
                Assert.Equal(matchesXY, Trail.MatchRows(state));
                Assert.Equal(alertsXY, Trail.AlertLines(state));
                Assert.Equal(60, Inputs(state));
            }
            using var c = Trail.OpenReadOnly(state);
            using var check = c.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }
    }

    [Fact]
    public void Alerts_commands_run_while_two_scans_write_to_the_same_state()
    {
        using var tmp = new TempDir();
        var x = Path.Combine(tmp.Path, "x");
        var y = Path.Combine(tmp.Path, "y");
        Trail.WriteCorpus(x, 30, 400, seed: 3, idPrefix: "x");
        // y is two days later: its matches make alerts of their own and leave x's alone (ids included).
        Trail.WriteCorpus(y, 30, 400, seed: 4, idPrefix: "y", offset: TimeSpan.FromDays(2));
        var state = Path.Combine(tmp.Path, "state.db");
        string[] Scan(string corpus) => ["scan", corpus, "--state", state, "--threads", "1", "-q", "--format", "jsonl"];

        // An existing state with an alert the analyst closed.
        AssertClean(MoatProcess.Run(Scan(x)), "first scan");
        var closedId = Trail.Lines(Trail.AlertLines(state)[0])[0].GetProperty("id").GetString()!;

        // x again (nothing new, --rescan: every match is stored again, as a no-op) and y, with a close and lists
        // in between.
        using var p1 = Trail.Start([.. Scan(x), "--rescan"]);
        using var p2 = Trail.Start(Scan(y));
        AssertClean(MoatProcess.Run("alerts", "close", closedId, "--reason", "expected", "--state", state), "alerts close");
        while (!p1.HasExited || !p2.HasExited)
        {
            AssertClean(MoatProcess.Run("alerts", "list", "--state", state, "--format", "jsonl"), "alerts list");
            Thread.Sleep(20);
        }
        AssertClean(p1.Wait(), "rescan of x");
        AssertClean(p2.Wait(), "scan of y");

        var reference = Path.Combine(tmp.Path, "reference.db");
        AssertClean(MoatProcess.Run(["scan", x, "--state", reference, "-q"]), "reference x");
        AssertClean(MoatProcess.Run(["scan", y, "--state", reference, "-q"]), "reference y");
        Assert.Equal(Trail.MatchRows(reference), Trail.MatchRows(state));
        var closed = Assert.Single(Trail.Lines(MoatProcess.Run("alerts", "list", "--state", state, "--status", "closed", "--format", "jsonl").Stdout));
        Assert.Equal(closedId, closed.GetProperty("id").GetString());
        SqliteConnection.ClearAllPools();
    }
}
