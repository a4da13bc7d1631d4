using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Moat.State.Sqlite;
using Moat.Tests.Support;
using Xunit.Abstractions;

namespace Moat.Tests.Alerts;

/// <summary>Tests that start, kill and race real moat processes; run one at a time so their timings mean something.</summary>
[CollectionDefinition(Name)]
public sealed class MoatProcessCollection
{
    public const string Name = "moat processes on one state file";
}

/// <summary>
/// A scan killed with SIGKILL at arbitrary points and run again until it finishes must end with exactly the alerts
/// and matches of a scan that was never interrupted: one transaction per input, idempotent matches, alerts grouped
/// from the set of matches.
/// </summary>
[Collection(MoatProcessCollection.Name)]
public sealed partial class AlertCrashSafetyTests(ITestOutputHelper output)
{
    private const int Files = 150;
    private const int EventsPerFile = 400;
    /// <summary>Per kill: 'c' waits for some inputs to be committed, 't' waits a random time from the start.</summary>
    private const string Plan = "tccctccc";

    [GeneratedRegex(@"trail-(\d{4})\.json$")]
    private static partial Regex InputFile();

    [GeneratedRegex(@"^ev-(\d{4})-")]
    private static partial Regex EventFile();

    [Fact]
    public void A_scan_killed_again_and_again_then_finished_ends_with_exactly_the_alerts_of_an_uninterrupted_scan()
    {
        using var tmp = new TempDir();
        var corpus = Path.Combine(tmp.Path, "corpus");
        var clock = Stopwatch.StartNew();
        int matching = Trail.WriteCorpus(corpus, Files, EventsPerFile, seed: 20260302, idPrefix: "ev");
        tmp.File("rules/threshold.yaml", Trail.ThresholdRule);
        tmp.File("rules/distinct.yaml", Trail.DistinctRule);
        string[] Scan(string state) => ["scan", corpus, "--rules", Path.Combine(tmp.Path, "rules"), "--state", state, "--threads", "2", "-q", "--format", "jsonl"];
        output.WriteLine($"corpus: {Files} files x {EventsPerFile} events, {matching} matching, written in {clock.ElapsedMilliseconds} ms");

        // A: one uninterrupted scan.
        var stateA = Path.Combine(tmp.Path, "a", "state.db");
        clock.Restart();
        var a = MoatProcess.Run(Scan(stateA));
        var fullRun = clock.Elapsed;
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Equal("", a.Stderr);
        var alertsA = Trail.AlertLines(stateA);
        var matchesA = Trail.MatchRows(stateA);
        output.WriteLine($"uninterrupted scan: {fullRun.TotalMilliseconds:0} ms, {matchesA.Count} matches, {alertsA.Count} alerts");
        Assert.Equal(Trail.Lines(a.Stdout).Count, matchesA.Count);
        Assert.True(matchesA.Count >= matching, $"{matchesA.Count} matches for {matching} matching events");
        // Grouping matters: several alerts per key over the corpus' ten hours, many matches per alert, threshold rules open some.
        var parsedA = alertsA.Select(l => Trail.Lines(l)[0]).ToList();
        Assert.True(parsedA.Select(x => x.GetProperty("dedupKey").GetString()).Distinct().Count() < parsedA.Count / 3);
        Assert.True(parsedA.Count(x => x.GetProperty("count").GetInt64() > 1) > parsedA.Count / 2);
        Assert.Contains(parsedA, x => x.GetProperty("ruleId").GetString() == Trail.ThresholdRuleId);
        Assert.Contains(parsedA, x => x.GetProperty("ruleId").GetString() == Trail.DistinctRuleId);
        Assert.Contains(parsedA, x => x.GetProperty("ruleId").GetString() == Trail.RdsIngressRule && x.GetProperty("severity").GetString() == "critical");
        Assert.Contains(parsedA, x => x.GetProperty("ruleId").GetString() == Trail.AdminPortRule);
        Assert.Equal(Files, InputsOf(stateA).Count);

        // The matches of each input of A, to check every state B is left in: an input is there whole or not at all.
        var matchesByFile = matchesA.GroupBy(FileOfMatch).ToDictionary(g => g.Key, g => g.ToHashSet());

        // B: killed again and again, at random moments from a fixed seed, then run to the end.
        var stateB = Path.Combine(tmp.Path, "b", "state.db");
        var rng = new Random(20260302);
        int midScan = 0, hotWal = 0, processed = 0;
        for (int k = 0; k < Plan.Length; k++)
        {
            using var run = Trail.Start(Scan(stateB));
            string when;
            if (Plan[k] == 'c' && processed < Files - 50)
            {
                // Wait until the scan has committed some more inputs, then kill within the next few milliseconds:
                // wherever the scan is then (mid-transaction, between inputs, reading a file, writing output).
                int target = processed + rng.Next(3, Math.Max(4, (Files - processed) / 5));
                var deadline = Stopwatch.StartNew();
                while (!run.HasExited && LiveProcessed(stateB) < target && deadline.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(2);
                int extra = rng.Next(0, 12);
                Thread.Sleep(extra);
                when = $"{target} inputs committed + {extra} ms";
            }
            else
            {
                // A moment early in the run: loading rules, creating or opening and recovering the state,
                // checking which inputs were processed, or the first commits.
                int delay = rng.Next(0, 500);
                run.Process.WaitForExit(delay);
                when = $"{delay} ms";
            }
            bool finishedFirst = run.HasExited;
            run.Kill();
            var result = run.Wait();
            // Up to the kill, the run went as usual: no error, and a run that got to finish finished well.
            Assert.DoesNotContain("Exception", result.Stderr);
            if (finishedFirst) Assert.True(result.ExitCode == 0 && result.Stderr == "", $"exit {result.ExitCode}: {result.Stderr}");

            var (inputs, matches, walBytes) = Snapshot(stateB, tmp.Path);
            output.WriteLine($"kill {k + 1} at {when}: {(finishedFirst ? "had already finished; " : "")}{inputs.Count} inputs, {matches.Count} matches stored, wal {walBytes} bytes");
            Assert.True(inputs.Count >= processed, "an input marked processed was lost");
            if (inputs.Count > processed && inputs.Count < Files && !finishedFirst) midScan++;
            if (walBytes > 0) hotWal++;
            processed = inputs.Count;

            // All or nothing per input: every processed input has all of its matches, no other input has any.
            foreach (var m in matches) Assert.Contains(m, matchesA);
            var filesWithMatches = matches.GroupBy(FileOfMatch).ToDictionary(g => g.Key, g => g.ToHashSet());
            foreach (var (file, expected) in matchesByFile)
            {
                if (inputs.Contains(file)) Assert.True(filesWithMatches.TryGetValue(file, out var got) && got.SetEquals(expected), $"input {file} processed but its matches are incomplete");
                else Assert.False(filesWithMatches.ContainsKey(file), $"input {file} has matches but is not marked processed");
            }
        }
        output.WriteLine($"{midScan} kill(s) landed mid-scan (this run had committed some inputs, not all); {hotWal} left a non-empty -wal for the next run to recover");
        Assert.True(midScan >= 3, $"only {midScan} kills landed mid-scan");
        Assert.True(hotWal >= 1, "no kill left a -wal behind");
        output.WriteLine($"{Files - processed} input(s) left for the last run");

        clock.Restart();
        var last = MoatProcess.Run(Scan(stateB));
        output.WriteLine($"final run: {clock.ElapsedMilliseconds} ms, {Trail.Lines(last.Stdout).Count} findings");
        Assert.True(last.ExitCode == 0, last.Stderr);
        Assert.Equal("", last.Stderr);

        Assert.Equal(alertsA, Trail.AlertLines(stateB));
        Assert.Equal(matchesA, Trail.MatchRows(stateB));
        Assert.Equal(Files, InputsOf(stateB).Count);

        // The file is sound: SQLite's own check, and moat opens it for writing (migrations, WAL) as usual.
        using (var c = Trail.OpenReadOnly(stateB))
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", cmd.ExecuteScalar());
        }
        using (var store = new SqliteAlertStore(stateB)) Assert.Equal(matchesA.Count, store.Matches().Count);
        SqliteConnection.ClearAllPools();
    }

    private static int FileOfMatch(string row) => int.Parse(EventFile().Match(row.Split('|')[1]).Groups[1].Value);

    private static HashSet<int> InputsOf(string state)
    {
        using var c = Trail.OpenReadOnly(state);
        return Inputs(c);
    }

    private static HashSet<int> Inputs(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT path FROM inputs";
        using var r = cmd.ExecuteReader();
        var set = new HashSet<int>();
        while (r.Read()) set.Add(int.Parse(InputFile().Match(r.GetString(0)).Groups[1].Value));
        return set;
    }

    /// <summary>Inputs committed so far by a running scan; 0 while the file or its tables do not exist yet.</summary>
    private static long LiveProcessed(string state)
    {
        if (!File.Exists(state)) return 0;
        try
        {
            using var c = Trail.OpenReadOnly(state);
            return Trail.Scalar(c, "SELECT COUNT(*) FROM inputs");
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    /// <summary>
    /// What a killed scan left: copies the state file with its -wal and -shm and reads the copy, so the state
    /// itself is left exactly as the kill left it for the next moat to recover.
    /// </summary>
    private static (HashSet<int> Inputs, List<string> Matches, long WalBytes) Snapshot(string state, string scratch)
    {
        if (!File.Exists(state)) return ([], [], 0);
        var probe = Path.Combine(scratch, "probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(probe);
        var copy = Path.Combine(probe, "state.db");
        long wal = 0;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (!File.Exists(state + suffix)) continue;
            File.Copy(state + suffix, copy + suffix);
            if (suffix == "-wal") wal = new FileInfo(state + suffix).Length;
        }
        try
        {
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
            c.Open();
            if (Trail.Scalar(c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'inputs'") == 0) return ([], [], wal);
            using (var check = c.CreateCommand())
            {
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", check.ExecuteScalar());
            }
            var inputs = Inputs(c);
            c.Close();
            return (inputs, Trail.MatchRows(copy), wal);
        }
        finally
        {
            Directory.Delete(probe, recursive: true);
        }
    }
}
