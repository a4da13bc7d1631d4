namespace Moat.Read;

/// <summary>Turns the PATH arguments of <c>moat scan</c> into an ordered list of inputs.</summary>
public static class InputExpander
{
    /// <summary>
    /// Names of files a folder walk reads. Explicitly named files are always read whatever their name,
    /// and the format is always decided from content; the walk only leaves out what is plainly not a log
    /// (README.md, LICENSE, .DS_Store), and says how many it left out.
    /// </summary>
    private static readonly string[] LogSuffixes = [".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log", ".log.gz"];

    internal static bool LooksLikeLog(string name)
    {
        foreach (var s in LogSuffixes)
            if (name.EndsWith(s, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>
    /// Files are taken as given; folders are walked recursively in ordinal order so output is stable
    /// across runs and machines. Hidden entries and CloudTrail digest folders are left out: digests
    /// are signatures of the log files, not events, and scanning them would only add noise.
    /// </summary>
    public static IReadOnlyList<InputFile> Expand(IEnumerable<string> paths, ICollection<ReadError> errors, Action<string>? note = null)
    {
        var result = new List<InputFile>();
        foreach (var p in paths)
        {
            if (p == "-")
            {
                result.Add(InputFile.StandardInput);
                continue;
            }
            if (File.Exists(p))
            {
                result.Add(new InputFile(p, p, new FileInfo(p).Length));
            }
            else if (Directory.Exists(p))
            {
                int before = result.Count;
                var skipped = new List<string>();
                Walk(p, result, errors, note, skipped);
                if (skipped.Count > 0)
                    note?.Invoke($"{p}: {skipped.Count} file(s) not named like logs were left out (e.g. {skipped[0]}); name a file explicitly to scan it");
                if (result.Count == before) note?.Invoke($"{p}: folder holds no log files to scan");
            }
            else
            {
                errors.Add(new ReadError(p, "no such file or folder"));
            }
        }
        return result;
    }

    private static void Walk(string dir, List<InputFile> into, ICollection<ReadError> errors, Action<string>? note, List<string> skipped)
    {
        string[] files, dirs;
        try
        {
            files = Directory.GetFiles(dir);
            dirs = Directory.GetDirectories(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ReadError(dir, "cannot list folder: " + e.Message));
            return;
        }
        Array.Sort(files, StringComparer.Ordinal);
        Array.Sort(dirs, StringComparer.Ordinal);
        foreach (var f in files)
        {
            var name = Path.GetFileName(f);
            if (name.StartsWith('.')) continue;
            if (!LooksLikeLog(name)) { skipped.Add(f); continue; }
            long len;
            try { len = new FileInfo(f).Length; }
            catch (IOException e) { errors.Add(new ReadError(f, e.Message)); continue; }
            into.Add(new InputFile(f, f, len));
        }
        foreach (var d in dirs)
        {
            var name = Path.GetFileName(d);
            if (name.StartsWith('.')) continue;
            if (name.Equals("CloudTrail-Digest", StringComparison.OrdinalIgnoreCase))
            {
                note?.Invoke($"{d}: skipped (CloudTrail digest files hold signatures, not events)");
                continue;
            }
            Walk(d, into, errors, note, skipped);
        }
    }
}
