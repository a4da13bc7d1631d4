using System.Reflection;
using System.Text.Json;
using Moat.Alerts;

namespace Moat.Emit;

/// <summary>
/// An alert output (<c>moat alerts list --format …</c>): one rendered alert per <see cref="Write"/>, one JSON
/// object per line. A writer that cannot express an alert skips it and says why in <see cref="Skipped"/>; the
/// other alerts are still written.
/// </summary>
public interface IAlertWriter : IDisposable
{
    /// <summary>Writes one alert; false when it was skipped (see <see cref="Skipped"/>).</summary>
    bool Write(Alert alert);

    /// <summary>The alerts this writer could not express, with the reason.</summary>
    IReadOnlyList<SkippedAlert> Skipped { get; }
}

public sealed record SkippedAlert(string AlertId, string Reason);

/// <summary>What the alert formats need beyond the alerts themselves.</summary>
public sealed record AlertExportOptions
{
    /// <summary>
    /// ASFF: the account for alerts that name none (database login alerts). Security Hub takes a finding only
    /// from the account it names, so this is the account that will call BatchImportFindings.
    /// </summary>
    public string? AccountId { get; init; }

    /// <summary>
    /// ASFF: the Region BatchImportFindings will be called in, which the product ARN must name. Without it each
    /// finding names its own event's Region (us-east-1 when it has none).
    /// </summary>
    public string? Region { get; init; }

    /// <summary>OCSF <c>metadata.product.version</c>; Moat's own version when not given.</summary>
    public string? ProductVersion { get; init; }

    /// <summary>ASFF: when a closed alert was last exported (its <c>UpdatedAt</c> must move forward to archive it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    internal string Version => ProductVersion ?? MoatVersion.Value;

    private static readonly Lazy<string> MoatVersion = new(() =>
        typeof(AlertExportOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0");
}

/// <summary>The alert formats by the name <c>--format</c> takes.</summary>
public static class AlertWriters
{
    public static IReadOnlyList<string> Formats { get; } = ["jsonl", "ocsf", "asff", "guardduty"];

    /// <summary>The writer for a format name, or null for a name that is not one of <see cref="Formats"/>.</summary>
    public static IAlertWriter? Create(string format, Stream output, AlertExportOptions? options = null)
    {
        options ??= new AlertExportOptions();
        return format switch
        {
            "jsonl" => new JsonAlertWriter(output),
            "ocsf" => new OcsfAlertWriter(output, options),
            "asff" => new AsffAlertWriter(output, options),
            "guardduty" => new GuardDutyAlertWriter(output),
            _ => null,
        };
    }
}

/// <summary>
/// The line mechanics the alert writers share: each alert is rendered into a reused buffer and handed to the
/// stream in one write (not flushed: the caller's stream decides when bytes reach the file), and alerts a
/// format cannot express are recorded instead of written.
/// </summary>
internal sealed class AlertLines(Stream output)
{
    public static readonly JsonWriterOptions JsonOptions = new()
    {
        // As JsonFindingWriter: non-ASCII text and <, >, & stay readable; consumers embedding the output in HTML escape it there.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(16 << 10);
    private readonly List<SkippedAlert> _skipped = [];
    private Utf8JsonWriter? _writer;

    public IReadOnlyList<SkippedAlert> Skipped => _skipped;

    /// <summary>
    /// Writes one alert as a line. <paramref name="check"/> returns why the format cannot express the alert, or
    /// null when it can.
    /// </summary>
    public bool Write(Alert alert, Action<Utf8JsonWriter, AlertFacts> render, Func<AlertFacts, string?>? check = null)
    {
        var facts = AlertFacts.TryOf(alert, out var error);
        if (facts is not null && check is not null) error = check(facts);
        if (facts is null || error is not null)
        {
            _skipped.Add(new SkippedAlert(alert.Id, error ?? "not expressible in this format"));
            return false;
        }
        var w = Writer();
        render(w, facts);
        EndLine(w);
        return true;
    }

    /// <summary>A writer on the buffer, for a caller that renders a line itself; end it with <see cref="EndLine"/>.</summary>
    public Utf8JsonWriter Writer() => _writer ??= new Utf8JsonWriter(_buffer, JsonOptions);

    public void Skip(SkippedAlert s) => _skipped.Add(s);

    public void EndLine(Utf8JsonWriter w)
    {
        w.Flush();
        output.Write(_buffer.WrittenSpan);
        output.WriteByte((byte)'\n');
        _buffer.ResetWrittenCount();
        w.Reset(_buffer);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        output.Flush();
    }
}
