using System.Diagnostics;
using System.Reflection;
using Moat.Catalog;
using Moat.Emit;
using Moat.Evaluate;
using Moat.Read;
using Moat.Rules;
using Moat.Scan;
using Moat.Testing;

namespace Moat.Cli;

/// <summary>
/// The <c>moat</c> command: parses arguments, calls the library, renders results. Findings go to stdout;
/// status, diagnostics and progress go to stderr.
/// </summary>
internal sealed class CliApp(Stream stdout, TextWriter stderr, bool stderrIsTerminal)
{
    // Buffered: a scan may write hundreds of thousands of findings, and stdout is an unbuffered stream.
    private readonly StreamWriter _out = new(new BufferedStream(stdout, 1 << 16), new System.Text.UTF8Encoding(false)) { AutoFlush = false };

    private const string MainHelp = """
        moat — threat detection for cloud databases from AWS CloudTrail logs

        Usage:
          moat scan PATH... [options]     evaluate rules over CloudTrail files, folders or - (stdin)
          moat rules lint [DIR...]        check rule files; built-in rules when no DIR
          moat rules list [filters]       the rule catalog (--tag, --service, --tactic, --severity, --format jsonl)
          moat rules show ID              one rule as an analyst reads it: goal, strategy, indicators, triage, tests
          moat rules docs --out DIR       a static HTML + Markdown site of the rules, with an ATT&CK coverage matrix
          moat rules navigator            an ATT&CK Navigator layer (JSON) of the rules' coverage
          moat test [DIR...]              run rules' embedded tests; built-in rules when no DIR
          moat alerts list|show|close|reopen   alerts kept by `moat scan --state PATH`
          moat activity --principal ARN|--access-key ID --around TIME [--window 24h]
                                          what else an identity did, from the activity index of `moat scan --state`
          moat --version

        Run 'moat COMMAND --help' for a command's options.

        Exit codes: 0 done, 1 findings at/above --fail-on (or failing tests),
                    2 usage or rule errors, 3 some input could not be read.
        """;

    private const string ScanHelp = """
        Usage: moat scan PATH... [options]

        PATH is a file, a folder (walked recursively, e.g. the S3 layout AWSLogs/<account>/CloudTrail/...),
        or - for standard input. Formats are detected from content: {"Records":[...]}, a JSON array of events,
        JSON Lines, EventBridge envelopes; any of them gzip-compressed. PostgreSQL logs and MySQL/MariaDB audit
        logs (plain, gzip, or as CloudWatch Logs delivers them) go to login detection.

        Options:
          --rules DIR          add rules from DIR (file or folder; repeatable) to the built-in rules;
                               Moat rules and Sigma rules (recognised by logsource + detection) alike
          --only-rules DIR     use only rules from DIR (repeatable); no built-in rules
          --format FORMAT      table (default), jsonl (one finding per line) or guardduty (GuardDuty-shaped JSON lines)
          --fail-on SEVERITY   exit 1 when a finding is at or above SEVERITY (info|low|medium|high|critical)
          --threads N          worker threads (default: all cores)
          --sigma-placeholder NAME=VALUE[,VALUE]
                               values for a Sigma %NAME% placeholder under |expand (repeatable)
        Database logins (PostgreSQL logs, MySQL/MariaDB audit logs, also inside CloudWatch Logs exports):
          --kind KIND          cloudtrail, postgresql or mysql-audit for every input (default: from content)
          --db-instance NAME   the database the logs are from, when no CloudWatch log group says it
          --state PATH         keep matches as alerts and remember scanned inputs in PATH (SQLite); also where
                               login profiles persist (default for logins: ~/.local/share/moat/state.db)
          --rescan             with --state: read inputs again even if they were scanned before
          --suppressions FILE  suppress findings (rules, principal, account, region, source CIDR, resource,
                               or a condition), each with a reason and an expiry date
          --show-suppressed    list suppressed findings on stderr
          --config FILE        moat.yaml: destinations (webhook, slack) that receive new or updated alerts
                               (needs --state)
          --learning-period D  no anomaly findings during a database's first D of event time (default 14d)
          --threat-list FILE   IPs/CIDRs (one per line, FireHOL netset, or CSV with an ip column); repeatable
          --tor-exits FILE     Tor exit list (bulk list or exit-addresses format)
          --asn-db FILE        iptoasn TSV (ip2asn-v4.tsv.gz ...) for ASN organisations of sources
          --include-internal   also judge rdsadmin and local-socket connections
          -v, --verbose        table output includes each finding's runbook
          -q, --quiet          no status or progress on stderr (errors are still printed)

        Examples:
          moat scan samples/cloudtrail
          moat scan AWSLogs/ --format jsonl --fail-on high > findings.jsonl
          zcat trail.json.gz | moat scan - --only-rules my-rules/
        """;

    private const string TestHelp = """
        Usage: moat test [DIR...] [--rules DIR]

        Runs every rule's embedded tests (name, expected match, event) and prints each failure with the rule,
        the test, what was expected and what happened. Without DIR, tests the built-in rules.
        Exit 1 when a test fails, 2 when a rule does not load.
        """;

    private const string RulesHelp = """
        Usage:
          moat rules lint [DIR...]          diagnostics (file:line:column code message); exit 2 on errors
          moat rules list [--rules DIR] [--only-rules DIR] [--format table|jsonl]
                          [--tag TAG] [--service rds|ec2|...] [--tactic TA0005|defense-evasion] [--severity high]
          moat rules show ID [--rules DIR]
          moat rules docs --out DIR [--rules DIR]     static site: index, one page per rule, attack.html
          moat rules navigator [--out FILE] [--rules DIR]   ATT&CK Navigator layer
        Without DIR, lint checks the built-in rules.
        """;

    public int Run(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"moat: {e.Message}");
            if (e.ArgIndex >= 0) PointAt(args, e.ArgIndex);
            stderr.WriteLine("Run 'moat --help' for usage.");
            return ExitCodes.UsageOrRules;
        }
        finally
        {
            _out.Flush();
        }
    }

    /// <summary>Echoes the command line with a caret under the bad argument.</summary>
    private void PointAt(string[] args, int index)
    {
        var line = "  moat " + string.Join(' ', args);
        int col = 7 + args.Take(index).Sum(a => a.Length + 1);
        stderr.WriteLine(line);
        stderr.WriteLine(new string(' ', col) + new string('^', Math.Max(1, args[index].Length)));
    }

    private int Dispatch(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            _out.WriteLine(MainHelp);
            return args.Length == 0 ? ExitCodes.UsageOrRules : ExitCodes.Ok;
        }
        if (args[0] == "--version")
        {
            _out.WriteLine("moat " + (typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0"));
            return ExitCodes.Ok;
        }
        return args[0] switch
        {
            "scan" => Scan(args),
            "test" => Test(args),
            "rules" => Rules(args),
            "alerts" => Alerts(args),
            "activity" => Activity(args),
            _ => throw new UsageException($"unknown command '{args[0]}' (scan, rules, test, alerts, activity)", 0),
        };
    }

    private static readonly Dictionary<string, string> Short = new() { ["-q"] = "--quiet", ["-v"] = "--verbose", ["-h"] = "--help" };

    private int Scan(string[] args)
    {
        var p = ParsedArgs.Parse(args, 1, new HashSet<string> { "--quiet", "--verbose", "--help", "--include-internal", "--rescan", "--show-suppressed" },
            new HashSet<string> { "--rules", "--only-rules", "--format", "--fail-on", "--threads", "--sigma-placeholder",
                "--kind", "--db-instance", "--state", "--learning-period", "--threat-list", "--tor-exits", "--asn-db", "--suppressions", "--config" }, Short);
        if (p.Has("--help")) { _out.WriteLine(ScanHelp); return ExitCodes.Ok; }
        if (p.Positionals.Count == 0) throw new UsageException("scan needs at least one PATH (a file, a folder, or - for stdin)");
        var format = p.Value("--format") ?? "table";
        if (format is not ("table" or "jsonl" or "guardduty")) throw new UsageException($"unknown format '{format}' (table, jsonl, guardduty)", Array.IndexOf(args, format));
        var forcedKind = p.Value("--kind") switch
        {
            null => Moat.Logins.LogKind.Unknown,
            "cloudtrail" => Moat.Logins.LogKind.CloudTrail,
            "postgresql" or "postgres" => Moat.Logins.LogKind.PostgreSql,
            "mysql-audit" or "mysql" or "mariadb" => Moat.Logins.LogKind.MySqlAudit,
            var k => throw new UsageException($"unknown kind '{k}' (cloudtrail, postgresql, mysql-audit)", Array.IndexOf(args, k)),
        };
        var learning = TimeSpan.FromDays(14);
        if (p.Value("--learning-period") is { } lp && !RuleReader.TryParseDuration(lp, out learning))
            throw new UsageException($"--learning-period takes a duration like 14d, 12h or 30m, not '{lp}'", Array.IndexOf(args, lp));
        Severity? failOn = null;
        if (p.Value("--fail-on") is { } fo)
        {
            if (!SeverityNames.TryParse(fo, out var s)) throw new UsageException($"unknown severity '{fo}' (info, low, medium, high, critical)", Array.IndexOf(args, fo));
            failOn = s;
        }
        int threads = Environment.ProcessorCount;
        if (p.Value("--threads") is { } th && (!int.TryParse(th, out threads) || threads < 1))
            throw new UsageException($"--threads takes a positive number, not '{th}'", Array.IndexOf(args, th));
        bool quiet = p.Has("--quiet");

        int code = ExitCodes.Ok;
        var load = LoadRules(p);
        if (ReportDiagnostics(load.Diagnostics, quiet)) code = ExitCodes.UsageOrRules;
        foreach (var n in load.Notes) Status(quiet, "[*] " + n);
        Status(quiet, $"[+] {load.Rules.Count} rules loaded" + (load.Correlations.Count > 0 ? $", {load.Correlations.Count} correlation(s)" : ""));

        var readErrors = new List<ReadError>();
        var inputs = InputExpander.Expand(p.Positionals, readErrors, note => Status(quiet, "[*] " + note));
        foreach (var e in readErrors) stderr.WriteLine("[!] " + e);
        if (readErrors.Count > 0) code = ExitCodes.Worst(code, ExitCodes.InputUnreadable);

        // Route inputs: database logs to login detection, the rest to the CloudTrail scanner.
        var cloudTrailInputs = new List<InputFile>();
        var loginInputs = new List<InputFile>();
        foreach (var input in inputs)
        {
            var kind = forcedKind != Moat.Logins.LogKind.Unknown ? forcedKind
                : input.Path is null ? Moat.Logins.LogKind.CloudTrail : Moat.Logins.LoginLogReader.Sniff(input);
            if (kind is Moat.Logins.LogKind.PostgreSql or Moat.Logins.LogKind.MySqlAudit) loginInputs.Add(input);
            else cloudTrailInputs.Add(input);
        }
        inputs = cloudTrailInputs;

        // With --state, matches are kept as alerts and inputs already scanned (same path, size, time and head)
        // are not read again, unless --rescan.
        using var alertStore = p.Value("--state") is { } alertStatePath ? OpenAlertStore(alertStatePath) : null;
        if (p.Value("--state") is not null && alertStore is null) return ExitCodes.UsageOrRules;
        var recorder = new Moat.Alerts.MatchRecorder(load.Rules);
        var config = p.Value("--config") is { } cfgPath ? Moat.Destinations.ConfigReader.Load(cfgPath) : null;
        if (config is not null && ReportDiagnostics(config.Diagnostics, quiet)) code = ExitCodes.UsageOrRules;
        if (config is { Config.Destinations.Count: > 0 } && alertStore is null)
            throw new UsageException("destinations in --config need --state PATH (it remembers what was sent)");
        var fingerprints = new Dictionary<InputFile, Moat.Alerts.InputFingerprint?>();
        if (alertStore is not null)
        {
            var fresh = new List<InputFile>();
            int skipped = 0;
            foreach (var input in inputs)
            {
                var fp = input.Path is null ? null : Moat.Alerts.InputFingerprint.Of(input.Path);
                if (fp is not null && !p.Has("--rescan") && alertStore.IsProcessed(fp)) { skipped++; continue; }
                fingerprints[input] = fp;
                fresh.Add(input);
            }
            if (skipped > 0) Status(quiet, $"[*] {skipped} input(s) were scanned before and have not changed (state {alertStore.Path}); --rescan reads them again");
            inputs = fresh;
        }

        var index = new RuleIndex(load.Rules);
        var scanner = new Scanner(index, threads) { CollectActivity = alertStore is not null };
        var table = format == "table" ? new TableFindingWriter(_out, p.Has("--verbose")) : null;
        using var jsonl = format == "jsonl" ? new JsonFindingWriter(_out.BaseStream) : null;
        using var guardduty = format == "guardduty" ? new GuardDutyFindingWriter(_out.BaseStream) : null;
        bool failHit = false;
        var progress = new ProgressBar(stderr, enabled: stderrIsTerminal && !quiet);
        var correlations = new CorrelationEngine(load.Rules, load.Correlations);
        var suppressions = Moat.Alerts.SuppressionSet.Empty;
        if (p.Value("--suppressions") is { } supPath)
        {
            var supDiagnostics = new List<Diagnostic>();
            suppressions = Moat.Alerts.SuppressionSet.Load(supPath, DateTimeOffset.UtcNow, supDiagnostics);
            if (ReportDiagnostics(supDiagnostics, quiet)) code = ExitCodes.UsageOrRules;
            Status(quiet, $"[+] {suppressions.Active.Count} suppression(s) active" + (suppressions.Expired.Count > 0 ? $", {suppressions.Expired.Count} expired" : ""));
        }
        bool Keep(Finding f)
        {
            // Suppressed findings are counted and, with --show-suppressed, listed: never dropped without a word.
            if (suppressions.Check(f) is not { } by) return true;
            if (p.Has("--show-suppressed")) stderr.WriteLine($"[~] suppressed by '{by.Name}' ({by.Reason}): {f.RuleId} {f.EventId} {f.Principal}");
            return false;
        }
        void Emit(Finding f)
        {
            if (failOn is { } min && f.Severity >= min) failHit = true;
            // In jsonl and guardduty modes nothing else writes to stdout, so no text is buffered ahead of these.
            if (table is not null) table.Add(f);
            else if (jsonl is not null) jsonl.Write(f);
            else guardduty!.Write(f);
        }
        var sw = Stopwatch.StartNew();
        var pendingCommits = new List<(Moat.Alerts.InputFingerprint?, IReadOnlyList<Moat.Alerts.StoredMatch>, Moat.Alerts.ActivityBlock?)>();
        var commitClock = Stopwatch.StartNew();
        void FlushCommits()
        {
            if (alertStore is null || pendingCommits.Count == 0) return;
            alertStore.CommitMany(pendingCommits);
            pendingCommits.Clear();
            commitClock.Restart();
        }
        var totals = inputs.Count == 0 ? new ScanTotals(0, 0, 0, 0, 0, 0) : scanner.Run(inputs, r =>
        {
            progress.Clear();
            // A badly broken file could produce an error per line; the first ones locate the problem.
            const int maxErrorsPerInput = 20;
            foreach (var e in r.Errors.Take(maxErrorsPerInput)) stderr.WriteLine("[!] " + e);
            if (r.Errors.Count > maxErrorsPerInput)
                stderr.WriteLine($"[!] {r.Input.DisplayName}: {r.Errors.Count - maxErrorsPerInput} more error(s) in this input not shown");
            if (r.NonEvents > 0)
                Status(quiet, $"[*] {r.Input.DisplayName}: {r.NonEvents} record(s) are not CloudTrail events (no eventName), first at record {r.FirstNonEvent?.Index}; not evaluated");
            var matches = new List<Moat.Alerts.StoredMatch>();
            foreach (var f in r.Findings)
            {
                if (!Keep(f)) continue;
                if (correlations.Observe(f))
                {
                    Emit(f);
                    if (alertStore is not null) matches.Add(recorder.ToMatch(f));
                }
                // A rule that only feeds correlations is kept too (hidden), so correlations can span scans.
                else if (alertStore is not null) matches.Add(recorder.ToMatch(f) with { Hidden = true });
            }
            // One transaction per input: its matches and its "scanned" mark, or neither if moat is killed.
            // An input that could not be read completely is not marked, so the next run reads it again.
            if (alertStore is not null)
            {
                pendingCommits.Add((r.Complete && r.Errors.Count == 0 ? fingerprints.GetValueOrDefault(r.Input) : null, matches, r.Activity));
                // Inputs are committed a few at a time: each stays all-or-nothing, and commits cost less.
                if (pendingCommits.Count >= 16 || commitClock.ElapsedMilliseconds > 500) FlushCommits();
            }
        }, progress.Update);
        FlushCommits();
        progress.Clear();
        var correlationNotes = new List<string>();
        if (alertStore is not null && load.Correlations.Count > 0)
        {
            // With state, correlations run over every stored finding of the rules they name, from this scan and
            // the earlier ones; what an earlier run already reported is stored, and not reported again.
            var stored = alertStore.Matches();
            var known = stored.Select(m => (m.RuleId, m.EventKey)).ToHashSet();
            var replay = new CorrelationEngine(load.Rules, load.Correlations);
            foreach (var m in stored)
                if (replay.Uses(m.RuleId)) replay.Observe(Moat.Emit.FindingJsonReader.Read(m.FindingJson));
            var found = replay.Finish(correlationNotes).Where(Keep).ToList();
            var fresh = found.Select(f => (Finding: f, Match: recorder.ToMatch(f))).Where(x => !known.Contains((x.Match.RuleId, x.Match.EventKey))).ToList();
            foreach (var (f, _) in fresh) Emit(f);
            if (fresh.Count > 0) alertStore.Commit(null, fresh.Select(x => x.Match).ToList());
        }
        else
        {
            var correlated = correlations.Finish(correlationNotes).Where(Keep).ToList();
            foreach (var f in correlated) Emit(f);
        }
        foreach (var n in correlationNotes) Status(quiet, "[*] " + n);

        if (loginInputs.Count > 0)
        {
            var loginCode = ScanLogins(p, loginInputs, forcedKind, learning, quiet, f => { if (Keep(f)) Emit(f); });
            code = ExitCodes.Worst(code, loginCode);
        }
        sw.Stop();

        double secs = Math.Max(sw.Elapsed.TotalSeconds, 1e-6);
        // The table's own summary stays free of timings so the same input always renders the same table.
        if (table is not null) table.Finish($"{totals.Events:N0} events in {totals.Files:N0} file(s).");
        _out.Flush();
        Status(quiet, $"[+] Scanned {totals.Events:N0} events in {totals.Files:N0} file(s) in {secs:0.00}s ({totals.Events / secs:N0} events/s); {totals.Findings:N0} finding(s).");
        if (totals.NonEvents > 0) Status(quiet, $"[*] {totals.NonEvents:N0} record(s) were not CloudTrail events and were not evaluated.");
        if (suppressions.Suppressed.Count > 0)
            Status(quiet, $"[*] {suppressions.Suppressed.Count:N0} finding(s) suppressed: " +
                string.Join(", ", suppressions.Active.Where(s => suppressions.Hits(s) > 0).Select(s => $"'{s.Name}' {suppressions.Hits(s)}")) +
                (p.Has("--show-suppressed") ? "" : " (--show-suppressed lists them)"));
        if (totals.UnreadableInputs > 0)
        {
            stderr.WriteLine($"[!] {totals.UnreadableInputs} input(s) could not be read completely; every readable record was scanned.");
            code = ExitCodes.Worst(code, ExitCodes.InputUnreadable);
        }
        if (alertStore is not null)
            foreach (var sup in suppressions.Active)
                if (suppressions.Hits(sup) > 0) alertStore.AddSuppressionHits(sup.Name, suppressions.Hits(sup));
        if (alertStore is not null && config is { Config.Destinations.Count: > 0 })
        {
            // Delivery is a sink: its failures are reported and dead-lettered, never a reason to lose detection.
            var alerts = Moat.Alerts.AlertGrouper.Group(alertStore.Matches(), alertStore.Statuses());
            using var dispatcher = new Moat.Destinations.AlertDispatcher(config.Config.Destinations, alertStore,
                Moat.Destinations.DeadLetterFile.PathFor(alertStore.Path),
                new Moat.Destinations.DispatchOptions { Report = m => stderr.WriteLine("[!] " + m) });
            var summary = dispatcher.DispatchAsync(alerts).GetAwaiter().GetResult();
            Status(quiet, "[*] " + summary);
        }
        if (failHit) code = ExitCodes.Worst(code, ExitCodes.Findings);
        return code;
    }

    /// <summary>Login detection over the database-log inputs; returns the exit code it contributes.</summary>
    private int ScanLogins(ParsedArgs p, List<InputFile> inputs, Moat.Logins.LogKind kind, TimeSpan learning, bool quiet, Action<Finding> emit)
    {
        int code = ExitCodes.Ok;
        var intel = Moat.Intel.IntelLookup.Load(p.All("--threat-list"), p.All("--tor-exits"), p.All("--asn-db"));
        foreach (var e in intel.Errors) stderr.WriteLine("[!] " + e);
        foreach (var w in intel.Warnings) stderr.WriteLine($"[*] {w.Source}: {w.Message}");
        foreach (var s in intel.Summary) Status(quiet, "[+] " + s);
        if (intel.Errors.Count > 0) code = ExitCodes.InputUnreadable;

        var statePath = p.Value("--state") ?? Moat.State.Sqlite.SqliteProfileStore.DefaultPath();
        Moat.State.Sqlite.SqliteProfileStore store;
        try
        {
            store = new Moat.State.Sqlite.SqliteProfileStore(statePath);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"[!] cannot open the state file {statePath}: {e.Message}");
            return ExitCodes.UsageOrRules;
        }
        using (store)
        {
            var readOptions = new Moat.Logins.LoginReadOptions { Kind = kind == Moat.Logins.LogKind.CloudTrail ? Moat.Logins.LogKind.Unknown : kind, DbInstance = p.Value("--db-instance") };
            var detectOptions = new Moat.Logins.LoginDetectionOptions { LearningPeriod = learning, IncludeInternal = p.Has("--include-internal") };
            var sw = Stopwatch.StartNew();
            var (findings, totals) = new LoginScan(store, intel, readOptions, detectOptions).Run(inputs, r =>
            {
                const int maxErrorsPerInput = 20;
                foreach (var e in r.Errors.Take(maxErrorsPerInput)) stderr.WriteLine("[!] " + e);
                if (r.Errors.Count > maxErrorsPerInput)
                    stderr.WriteLine($"[!] {r.Input.DisplayName}: {r.Errors.Count - maxErrorsPerInput} more error(s) in this input not shown");
            }, found =>
            {
                // Alerts first, profiles after: a kill in between re-judges the lines instead of losing the alerts.
                if (p.Value("--state") is not null && found.Count > 0)
                {
                    using var alerts = OpenAlertStore(statePath);
                    alerts?.Commit(null, found.Select(new Moat.Alerts.MatchRecorder([]).ToMatch).ToList());
                }
            });
            foreach (var f in findings) emit(f);
            double secs = Math.Max(sw.Elapsed.TotalSeconds, 1e-6);
            Status(quiet, $"[+] Login detection: {totals.Lines:N0} lines, {totals.Events:N0} login events in {totals.Inputs} input(s) in {secs:0.00}s ({totals.Lines / secs:N0} lines/s); " +
                $"{findings.Count} finding(s); state {statePath}");
            if (totals.AlreadySeen > 0) Status(quiet, $"[*] {totals.AlreadySeen:N0} login event(s) were already processed by an earlier scan (state {statePath}) and were not judged again");
            if (totals.InternalSkipped > 0) Status(quiet, $"[*] {totals.InternalSkipped:N0} internal connection(s) (rdsadmin, local socket) left out; --include-internal judges them");
            if (totals.UnreadableInputs > 0)
            {
                stderr.WriteLine($"[!] {totals.UnreadableInputs} database log input(s) could not be read completely; every readable line was used.");
                code = ExitCodes.Worst(code, ExitCodes.InputUnreadable);
            }
        }
        return code;
    }

    private Moat.State.Sqlite.SqliteAlertStore? OpenAlertStore(string path)
    {
        try
        {
            return new Moat.State.Sqlite.SqliteAlertStore(path);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"[!] cannot open the state file {path}: {e.Message}");
            return null;
        }
    }

    private const string AlertsHelp = """
        Usage:
          moat alerts list [--state PATH] [--since TIME] [--severity SEV] [--rule GLOB] [--status open|closed] [--account ID]
                           [--format table|jsonl|ocsf|asff|guardduty] [--out FILE] [--aws-account ID] [--aws-region R]
          moat alerts show ID [--state PATH]
          moat alerts close ID --reason TEXT [--state PATH]
          moat alerts reopen ID [--state PATH]
        Alerts are the matches `moat scan --state PATH` kept, grouped per rule by dedup key and period (event time).
        """;

    private int Alerts(string[] args)
    {
        if (args.Length < 2 || args[1] is "--help" or "-h") { _out.WriteLine(AlertsHelp); return args.Length < 2 ? ExitCodes.UsageOrRules : ExitCodes.Ok; }
        var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" },
            new HashSet<string> { "--state", "--since", "--severity", "--rule", "--status", "--account", "--format", "--reason", "--out", "--aws-account", "--aws-region" }, Short);
        var path = p.Value("--state") ?? Moat.State.Sqlite.SqliteProfileStore.DefaultPath();
        if (!File.Exists(path)) throw new UsageException($"no state file at {path}; run moat scan --state {path} first");
        using var store = OpenAlertStore(path);
        if (store is null) return ExitCodes.UsageOrRules;
        var alerts = Moat.Alerts.AlertGrouper.Group(store.Matches(), store.Statuses());
        switch (args[1])
        {
            case "list":
            {
                DateTimeOffset? since = null;
                if (p.Value("--since") is { } st)
                {
                    if (RuleReader.TryParseDuration(st, out var ago)) since = (alerts.Count == 0 ? DateTimeOffset.UtcNow : alerts.Max(a => a.LastSeen)) - ago;
                    else if (DateTimeOffset.TryParse(st, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)) since = at;
                    else throw new UsageException($"--since takes a time (2026-01-01T00:00:00Z) or a duration before the newest alert (24h), not '{st}'");
                }
                Severity? minSev = null;
                if (p.Value("--severity") is { } sv)
                {
                    if (!SeverityNames.TryParse(sv, out var parsed)) throw new UsageException($"unknown severity '{sv}'");
                    minSev = parsed;
                }
                var ruleGlob = p.Value("--rule") is { } rg ? new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(rg).Replace("\\*", ".*").Replace("\\?", ".") + "$") : null;
                var selected = alerts.Where(a =>
                    (since is null || a.LastSeen >= since) && (minSev is null || a.Severity >= minSev) && (ruleGlob is null || ruleGlob.IsMatch(a.RuleId))
                    && (p.Value("--status") is not { } status || a.Status == status) && (p.Value("--account") is not { } acct || a.Account == acct)).ToList();
                var format = p.Value("--format") ?? "table";
                if (format == "table")
                {
                    foreach (var a in selected)
                        _out.WriteLine($"{a.Id}  {a.Severity.Name(),-8} {a.Status,-6} {a.Count,5}x  {a.FirstSeen:yyyy-MM-dd HH:mm}..{a.LastSeen:HH:mm}  {a.RuleId}  {TableFindingWriter.Clean(a.DedupKey)}");
                }
                else
                {
                    _out.Flush();
                    using var file = p.Value("--out") is { } outPath ? File.Create(outPath) : null;
                    using var writer = AlertWriters.Create(format, file ?? _out.BaseStream,
                            new AlertExportOptions { AccountId = p.Value("--aws-account"), Region = p.Value("--aws-region") })
                        ?? throw new UsageException($"unknown format '{format}' (table, {string.Join(", ", AlertWriters.Formats)})", Array.IndexOf(args, format));
                    foreach (var a in selected) writer.Write(a);
                    foreach (var sk in writer.Skipped) stderr.WriteLine($"[!] alert {sk.AlertId} not written: {sk.Reason}");
                }
                stderr.WriteLine($"{selected.Count} of {alerts.Count} alert(s)");
                return ExitCodes.Ok;
            }
            case "show" or "close" or "reopen":
            {
                if (p.Positionals.Count != 1) throw new UsageException($"alerts {args[1]} takes one alert id");
                var candidates = p.Positionals[0].Length == 0 ? [] : alerts.Where(a => a.Id.StartsWith(p.Positionals[0], StringComparison.OrdinalIgnoreCase)).ToList();
                if (candidates.Count == 0) throw new UsageException($"no alert '{p.Positionals[0]}' in {path}", Array.IndexOf(args, p.Positionals[0]));
                // A prefix naming several alerts must not close the wrong one.
                if (candidates.Count > 1 && !candidates.Any(c => c.Id.Equals(p.Positionals[0], StringComparison.OrdinalIgnoreCase)))
                    throw new UsageException($"'{p.Positionals[0]}' names {candidates.Count} alerts ({string.Join(", ", candidates.Take(5).Select(c => c.Id))}{(candidates.Count > 5 ? ", ..." : "")}); give more of the id", Array.IndexOf(args, p.Positionals[0]));
                var alert = candidates.FirstOrDefault(c => c.Id.Equals(p.Positionals[0], StringComparison.OrdinalIgnoreCase)) ?? candidates[0];
                if (args[1] == "close")
                {
                    var reason = p.Value("--reason") ?? throw new UsageException("alerts close needs --reason TEXT");
                    store.SetStatus(alert.Id, "closed", reason);
                    stderr.WriteLine($"[+] alert {alert.Id} closed: {reason}");
                    return ExitCodes.Ok;
                }
                if (args[1] == "reopen")
                {
                    store.SetStatus(alert.Id, "open", p.Value("--reason"));
                    stderr.WriteLine($"[+] alert {alert.Id} reopened");
                    return ExitCodes.Ok;
                }
                _activitySource = store;
                WriteAlert(alert);
                return ExitCodes.Ok;
            }
            default:
                throw new UsageException($"unknown alerts command '{args[1]}' (list, show, close, reopen)", 1);
        }
    }

    private Moat.Alerts.IAlertStore? _activitySource;

    private void WriteActivity(List<Moat.Alerts.ActivityGroup> groups)
    {
        if (groups.Count == 0) { _out.WriteLine("  (no activity in the index for this window)"); return; }
        foreach (var g in groups)
            _out.WriteLine($"  {g.Count,6}x {g.Failures,5} failed  {TableFindingWriter.Clean(g.Source)} {TableFindingWriter.Clean(g.Name)}  {g.First:yyyy-MM-dd HH:mm:ss}..{g.Last:HH:mm:ss}" +
                (g.Errors.Count > 0 ? "  errors: " + TableFindingWriter.Clean(string.Join(", ", g.Errors)) : "") + "  from " + TableFindingWriter.Clean(string.Join(", ", g.SourceIps)));
    }

    private int Activity(string[] args)
    {
        var p = ParsedArgs.Parse(args, 1, new HashSet<string> { "--help" }, new HashSet<string> { "--state", "--principal", "--access-key", "--around", "--window", "--format" }, Short);
        if (p.Has("--help"))
        {
            _out.WriteLine("Usage: moat activity --principal ARN|--access-key ID --around TIME [--window 24h] [--state PATH] [--format table|jsonl]");
            return ExitCodes.Ok;
        }
        var principal = p.Value("--principal");
        var key = p.Value("--access-key");
        if (principal is null && key is null) throw new UsageException("activity needs --principal ARN or --access-key ID");
        var aroundText = p.Value("--around") ?? throw new UsageException("activity needs --around TIME (e.g. 2026-11-20T09:14:41Z)");
        if (!DateTimeOffset.TryParse(aroundText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var around))
            throw new UsageException($"--around takes a time like 2026-11-20T09:14:41Z, not '{aroundText}'", Array.IndexOf(args, aroundText));
        var window = TimeSpan.FromHours(24);
        if (p.Value("--window") is { } w && !RuleReader.TryParseDuration(w, out window))
            throw new UsageException($"--window takes a duration like 24h, not '{w}'", Array.IndexOf(args, w));
        var path = p.Value("--state") ?? Moat.State.Sqlite.SqliteProfileStore.DefaultPath();
        if (!File.Exists(path)) throw new UsageException($"no state file at {path}; run moat scan --state {path} first");
        using var store = OpenAlertStore(path);
        if (store is null) return ExitCodes.UsageOrRules;
        var entries = Moat.Alerts.ActivityQuery.Find(store.Activity(around - window, around + window), principal, key, around, window);
        var groups = Moat.Alerts.ActivityQuery.Group(entries);
        if (p.Value("--format") == "jsonl")
            foreach (var g in groups)
                _out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                {
                    eventSource = g.Source, eventName = g.Name, count = g.Count, failures = g.Failures,
                    first = g.First.UtcDateTime.ToString("O"), last = g.Last.UtcDateTime.ToString("O"), errors = g.Errors, sourceIps = g.SourceIps,
                }));
        else
        {
            _out.WriteLine($"{TableFindingWriter.Clean(principal ?? key!)}: {entries.Count} event(s) within {window.TotalHours:0.##}h of {around:O}");
            WriteActivity(groups);
        }
        return ExitCodes.Ok;
    }

    private void WriteAlert(Moat.Alerts.Alert a)
    {
        _out.WriteLine($"alert {a.Id}  [{a.Severity.Name()}]  {a.Status}{(a.StatusReason is null ? "" : $" ({TableFindingWriter.Clean(a.StatusReason)})")}");
        _out.WriteLine($"{TableFindingWriter.Clean(a.Title)}");
        _out.WriteLine($"rule {a.RuleId}; key {TableFindingWriter.Clean(a.DedupKey)}; {a.Count} match(es) {a.FirstSeen:O} .. {a.LastSeen:O}");
        _out.WriteLine();
        _out.WriteLine("Timeline");
        foreach (var m in a.Matches)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(m.FindingJson);
            var f = doc.RootElement;
            string Get(string k) => f.TryGetProperty(k, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? TableFindingWriter.Clean(v.GetString()!) : "-";
            _out.WriteLine($"  {m.Time:O}  {Get("eventName"),-32} {Get("principal")} from {Get("sourceIp")}  event {Get("eventId")}");
        }
        using var first = System.Text.Json.JsonDocument.Parse(a.Matches[0].FindingJson);
        if (a.Principal is not null && _activitySource is not null)
        {
            var entries = Moat.Alerts.ActivityQuery.Find(_activitySource.Activity(a.FirstSeen - TimeSpan.FromHours(24), a.LastSeen + TimeSpan.FromHours(24)),
                a.Principal, null, a.FirstSeen, TimeSpan.FromHours(24));
            _out.WriteLine();
            _out.WriteLine($"What else {TableFindingWriter.Clean(a.Principal)} did within 24h of {a.FirstSeen:O}");
            WriteActivity(Moat.Alerts.ActivityQuery.Group(entries));
        }
        foreach (var (label, key) in new[] { ("Runbook", "runbook"), ("Remediation", "remediation") })
        {
            if (!first.RootElement.TryGetProperty(key, out var v) || v.GetString() is not { Length: > 0 } text) continue;
            _out.WriteLine();
            _out.WriteLine(label);
            foreach (var line in text.Split('\n')) _out.WriteLine("  " + TableFindingWriter.Clean(line));
        }
    }

    private RuleLoadResult LoadRules(ParsedArgs p)
    {
        var only = p.All("--only-rules");
        return RuleLoader.Load(includeBuiltin: only.Count == 0, [.. only, .. p.All("--rules")], Placeholders(p));
    }

    /// <summary>--sigma-placeholder NAME=VALUE[,VALUE] (repeatable; values of one name accumulate).</summary>
    private static Moat.Rules.Sigma.SigmaOptions Placeholders(ParsedArgs p)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var spec in p.All("--sigma-placeholder"))
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--sigma-placeholder takes NAME=VALUE[,VALUE], not '{spec}'");
            var name = spec[..eq].Trim('%');
            if (!map.TryGetValue(name, out var list)) map[name] = list = [];
            list.AddRange(spec[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        return new Moat.Rules.Sigma.SigmaOptions(map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value));
    }

    /// <summary>Prints diagnostics; returns whether any is an error.</summary>
    private bool ReportDiagnostics(IReadOnlyList<Diagnostic> diagnostics, bool quiet)
    {
        bool errors = false;
        foreach (var d in diagnostics)
        {
            if (d.Level == DiagnosticLevel.Error) errors = true;
            else if (quiet) continue;
            stderr.WriteLine(d.ToString());
        }
        return errors;
    }

    private void Status(bool quiet, string message)
    {
        if (!quiet) stderr.WriteLine(message);
    }

    private int Test(string[] args)
    {
        var p = ParsedArgs.Parse(args, 1, new HashSet<string> { "--quiet", "--help" }, new HashSet<string> { "--rules", "--sigma-placeholder" }, Short);
        if (p.Has("--help")) { _out.WriteLine(TestHelp); return ExitCodes.Ok; }
        var dirs = p.Positionals.Concat(p.All("--rules")).ToList();
        var load = RuleLoader.Load(includeBuiltin: dirs.Count == 0, dirs, Placeholders(p));
        bool ruleErrors = ReportDiagnostics(load.Diagnostics, p.Has("--quiet"));
        int passed = 0, failed = 0, rulesWithoutTests = 0;
        foreach (var rule in load.Rules)
        {
            var results = RuleTestRunner.Run(rule);
            if (results.Count == 0) rulesWithoutTests++;
            foreach (var r in results)
            {
                if (r.Passed) { passed++; continue; }
                failed++;
                _out.WriteLine($"FAIL {r.RuleId} :: {r.TestName} ({r.Span})");
                _out.WriteLine($"     expected {r.Expected}, got {r.Actual}");
            }
        }
        _out.WriteLine($"{load.Rules.Count} rules, {passed + failed} tests: {passed} passed, {failed} failed" +
            (rulesWithoutTests > 0 ? $"; {rulesWithoutTests} rule(s) have no tests" : ""));
        if (ruleErrors) return ExitCodes.UsageOrRules;
        return failed > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private int Rules(string[] args)
    {
        if (args.Length < 2 || args[1] is "--help" or "-h") { _out.WriteLine(RulesHelp); return args.Length < 2 ? ExitCodes.UsageOrRules : ExitCodes.Ok; }
        switch (args[1])
        {
            case "lint":
            {
                var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" }, new HashSet<string> { "--sigma-placeholder" }, Short);
                var load = RuleLoader.Load(includeBuiltin: p.Positionals.Count == 0, p.Positionals, Placeholders(p));
                foreach (var d in load.Diagnostics) _out.WriteLine(d.ToString());
                foreach (var n in load.Notes) stderr.WriteLine("[*] " + n);
                int errors = load.Diagnostics.Count(d => d.Level == DiagnosticLevel.Error);
                int warnings = load.Diagnostics.Count - errors;
                stderr.WriteLine($"{load.Rules.Count} rule(s) loaded, {errors} error(s), {warnings} warning(s)");
                return errors > 0 ? ExitCodes.UsageOrRules : ExitCodes.Ok;
            }
            case "list":
            {
                var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" },
                    new HashSet<string> { "--rules", "--only-rules", "--format", "--tag", "--service", "--tactic", "--severity", "--sigma-placeholder" }, Short);
                var load = LoadRules(p);
                bool errors = ReportDiagnostics(load.Diagnostics, quiet: true);
                var format = p.Value("--format") ?? "table";
                if (format is not ("table" or "jsonl")) throw new UsageException($"unknown format '{format}' (table, jsonl)", Array.IndexOf(args, format));
                Severity? sev = null;
                if (p.Value("--severity") is { } sv)
                {
                    if (!SeverityNames.TryParse(sv, out var parsed)) throw new UsageException($"unknown severity '{sv}'", Array.IndexOf(args, sv));
                    sev = parsed;
                }
                var catalog = RuleCatalog.Build(load.Rules);
                var entries = catalog.Filter(p.Value("--tag"), p.Value("--service"), p.Value("--tactic"), sev).ToList();
                foreach (var e in entries)
                {
                    var d = e.Doc;
                    if (format == "jsonl")
                        _out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                        {
                            id = d.Id,
                            title = d.Title,
                            severity = d.Severity.Name(),
                            source = e.Source,
                            services = e.Services,
                            eventNames = e.EventNames,
                            tactics = d.Mitre.Where(m => m.Tactic is not null).Select(m => m.Tactic).Distinct(),
                            techniques = d.Mitre.Where(m => m.Technique is not null).Select(m => m.Technique).Distinct(),
                            tags = d.Tags,
                            outcome = d.Outcome,
                            tests = new { matching = e.MatchingTests, nonMatching = e.NonMatchingTests },
                        }));
                    else
                        _out.WriteLine($"{d.Severity.Name(),-9} {d.Id,-48} {string.Join(",", d.Mitre.Where(m => m.Tactic is not null).Select(m => m.Tactic).Distinct()),-15} {string.Join(",", e.EventNames)}");
                }
                if (format == "table") stderr.WriteLine($"{entries.Count} of {catalog.Entries.Count} rule(s)");
                return errors ? ExitCodes.UsageOrRules : ExitCodes.Ok;
            }
            case "show":
            {
                var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" }, new HashSet<string> { "--rules", "--only-rules", "--sigma-placeholder" }, Short);
                if (p.Positionals.Count != 1) throw new UsageException("rules show takes one rule id");
                var load = LoadRules(p);
                var catalog = RuleCatalog.Build(load.Rules);
                var entry = catalog.Entries.FirstOrDefault(r => r.Id == p.Positionals[0]);
                if (entry is null) throw new UsageException($"no rule with id '{p.Positionals[0]}'", Array.IndexOf(args, p.Positionals[0]));
                _out.Write(CatalogText.Show(entry));
                return ExitCodes.Ok;
            }
            case "docs":
            {
                var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" }, new HashSet<string> { "--rules", "--only-rules", "--out", "--sigma-placeholder" }, Short);
                var outDir = p.Value("--out") ?? throw new UsageException("rules docs needs --out DIR");
                var load = LoadRules(p);
                bool errors = ReportDiagnostics(load.Diagnostics, quiet: true);
                var written = CatalogSite.Write(RuleCatalog.Build(load.Rules), outDir);
                stderr.WriteLine($"[+] wrote {written.Count} files for {load.Rules.Count} rules to {outDir} (open {Path.Combine(outDir, "index.html")})");
                return errors ? ExitCodes.UsageOrRules : ExitCodes.Ok;
            }
            case "navigator":
            {
                var p = ParsedArgs.Parse(args, 2, new HashSet<string> { "--help" }, new HashSet<string> { "--rules", "--only-rules", "--out", "--sigma-placeholder" }, Short);
                var load = LoadRules(p);
                bool errors = ReportDiagnostics(load.Diagnostics, quiet: true);
                var layer = CatalogSite.NavigatorLayer(RuleCatalog.Build(load.Rules));
                if (p.Value("--out") is { } file) File.WriteAllText(file, layer);
                else _out.WriteLine(layer);
                return errors ? ExitCodes.UsageOrRules : ExitCodes.Ok;
            }
            default:
                throw new UsageException($"unknown rules command '{args[1]}' (lint, list, show, docs, navigator)", 1);
        }
    }

}
