using Moat.Emit;
using Moat.Evaluate;
using Moat.Read;

namespace Moat.Scan;

/// <summary>What one input yielded.</summary>
public sealed record FileResult(
    InputFile Input,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<ReadError> Errors,
    long Records,
    long Events,
    long NonEvents,
    RecordPosition? FirstNonEvent,
    bool Complete)
{
    /// <summary>The input's activity index block (gzip), when the scan keeps one.</summary>
    public Moat.Alerts.ActivityBlock? Activity { get; init; }
}

public sealed record ScanProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal, long Events);

public sealed record ScanTotals(int Files, long Records, long Events, long NonEvents, long Findings, int UnreadableInputs);

/// <summary>
/// Runs inputs through read → evaluate on all cores, one input per worker, and hands the results back in
/// input order so output is the same on every run whatever the thread timing.
/// </summary>
public sealed class Scanner(RuleIndex index, int parallelism)
{
    /// <summary>Also build the activity index of every input (for scans that keep state).</summary>
    public bool CollectActivity { get; init; }

    public ScanTotals Run(IReadOnlyList<InputFile> inputs, Action<FileResult> onFile, Action<ScanProgress>? onProgress = null)
    {
        var results = new FileResult?[inputs.Count];
        int next = -1;
        long eventsDone = 0;
        var gate = new object();
        int workers = Math.Max(1, Math.Min(parallelism, inputs.Count));
        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            threads[w] = new Thread(() =>
            {
                while (true)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= inputs.Count) return;
                    var r = ScanOne(inputs[i]);
                    Interlocked.Add(ref eventsDone, r.Events);
                    lock (gate)
                    {
                        results[i] = r;
                        Monitor.PulseAll(gate);
                    }
                }
            }) { IsBackground = true, Name = "moat-scan-" + w };
            threads[w].Start();
        }

        long bytesTotal = inputs.Sum(i => i.Length), bytesDone = 0;
        int files = 0, unreadable = 0;
        long records = 0, events = 0, nonEvents = 0, findings = 0;
        for (int k = 0; k < inputs.Count; k++)
        {
            FileResult? r;
            lock (gate)
            {
                while ((r = results[k]) is null)
                {
                    if (!Monitor.Wait(gate, 250))
                        onProgress?.Invoke(new ScanProgress(k, inputs.Count, bytesDone, bytesTotal, Interlocked.Read(ref eventsDone)));
                }
                results[k] = null; // let the findings go once emitted
            }
            onFile(r);
            files++;
            bytesDone += r.Input.Length;
            records += r.Records;
            events += r.Events;
            nonEvents += r.NonEvents;
            findings += r.Findings.Count;
            if (r.Errors.Count > 0) unreadable++;
            onProgress?.Invoke(new ScanProgress(k + 1, inputs.Count, bytesDone, bytesTotal, Interlocked.Read(ref eventsDone)));
        }
        foreach (var t in threads) t.Join();
        return new ScanTotals(files, records, events, nonEvents, findings, unreadable);
    }

    /// <summary>Scans one input completely; never throws for bad content.</summary>
    public FileResult ScanOne(InputFile input)
    {
        var eval = new RecordEvaluator(index, input.DisplayName) { Activity = CollectActivity ? new Moat.Alerts.ActivityWriter() : null };
        bool complete;
        try
        {
            using var stream = input.OpenDecoded(out var gzip);
            var splitter = new RecordSplitter(stream, input.DisplayName, eval);
            complete = splitter.Run();
            if (complete && gzip?.Problem(splitter.BytesRead) is { } problem)
            {
                // Every record up to the cut was complete and scanned, but the file is not whole.
                eval.OnError(new ReadError(input.DisplayName, $"{problem}; the {splitter.Records} records before the cut were scanned", ByteOffset: splitter.BytesRead));
                complete = false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            eval.OnError(new ReadError(input.DisplayName, "cannot read: " + e.Message));
            complete = false;
        }
        var activity = eval.Activity is { Events: > 0 } a ? new Moat.Alerts.ActivityBlock(input.Path ?? input.DisplayName, a.Events, a.FirstTime, a.LastTime, a.Compress()) : null;
        return new FileResult(input, eval.Findings, eval.Errors, eval.Records, eval.Events, eval.NonEvents, eval.FirstNonEvent, complete) { Activity = activity };
    }
}
