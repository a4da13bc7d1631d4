using System.Diagnostics;
using Moat.Scan;

namespace Moat.Cli;

/// <summary>
/// A one-line progress bar on stderr, only when stderr is a terminal and only once a scan has run for a
/// second: short scans and redirected output never see it.
/// </summary>
internal sealed class ProgressBar(TextWriter stderr, bool enabled)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _drawn;
    private long _lastDraw = -1000;

    public void Update(ScanProgress p)
    {
        if (!enabled || _clock.ElapsedMilliseconds < 1000 || _clock.ElapsedMilliseconds - _lastDraw < 200) return;
        _lastDraw = _clock.ElapsedMilliseconds;
        double frac = p.BytesTotal > 0 ? Math.Clamp((double)p.BytesDone / p.BytesTotal, 0, 1) : (double)p.FilesDone / Math.Max(1, p.FilesTotal);
        int width = 30, filled = (int)(frac * width);
        stderr.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {frac * 100,3:0}%  {p.FilesDone}/{p.FilesTotal} files  {p.Events:N0} events ");
        stderr.Flush();
        _drawn = true;
    }

    public void Clear()
    {
        if (!_drawn) return;
        stderr.Write("\r" + new string(' ', 90) + "\r");
        stderr.Flush();
        _drawn = false;
    }
}
