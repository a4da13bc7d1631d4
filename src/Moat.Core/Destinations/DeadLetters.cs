using System.Text;
using System.Text.Json;

namespace Moat.Destinations;

/// <summary>
/// A delivery that did not get through: which destination (by name, never its url or token), which alert, how
/// many attempts so far (over all runs) and the last error. <see cref="Permanent"/> marks a refusal (a 4xx other
/// than 408/429) that retrying within a run would not fix; it is still tried again on the next run, because
/// the fix is usually made on the receiving side.
/// </summary>
public sealed record DeadLetter(
    string Destination,
    string AlertId,
    string RuleId,
    int Attempts,
    string LastError,
    int? HttpStatus,
    bool Permanent,
    DateTimeOffset FirstFailed,
    DateTimeOffset LastAttempt);

/// <summary>
/// The dead-letter file: JSON Lines beside the state file. Each run reads it, tries its entries again, and
/// rewrites it (atomically, by replacing it) with what is still undelivered; the file is removed once empty.
/// </summary>
public static class DeadLetterFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>state.db</c> → <c>state.db.dead-letters.jsonl</c>, in the same folder.</summary>
    public static string PathFor(string statePath) => Path.GetFullPath(statePath) + ".dead-letters.jsonl";

    /// <summary>Reads the file; a missing file is empty. Lines that do not parse are skipped and reported in <paramref name="problems"/>.</summary>
    public static List<DeadLetter> Read(string path, List<string> problems)
    {
        var list = new List<DeadLetter>();
        string[] lines;
        try
        {
            if (!File.Exists(path)) return list;
            lines = File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"cannot read the dead-letter file {path}: {e.Message}");
            return list;
        }
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            try
            {
                if (JsonSerializer.Deserialize<DeadLetter>(lines[i], Json) is { Destination: not null, AlertId: not null, RuleId: not null, LastError: not null } d) list.Add(d);
                else problems.Add($"{path}:{i + 1}: not a dead letter; skipped");
            }
            catch (JsonException)
            {
                problems.Add($"{path}:{i + 1}: not a dead letter; skipped");
            }
        }
        return list;
    }

    /// <summary>Replaces the file with <paramref name="letters"/> (removes it when there are none). Returns an error, or null.</summary>
    public static string? Write(string path, IReadOnlyList<DeadLetter> letters)
    {
        try
        {
            if (letters.Count == 0)
            {
                if (File.Exists(path)) File.Delete(path);
                return null;
            }
            // Written beside and moved over the old file, so a reader (or a killed moat) never sees half a file.
            var tmp = path + ".tmp";
            using (var w = new StreamWriter(tmp, append: false, new UTF8Encoding(false)))
            {
                foreach (var d in letters) w.Write(JsonSerializer.Serialize(d, Json) + "\n");
            }
            File.Move(tmp, path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write the dead-letter file {path}: {e.Message}";
        }
    }
}
