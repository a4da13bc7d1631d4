using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Moat.Alerts;

namespace Moat.Destinations;

/// <summary>Tuning for <see cref="AlertDispatcher"/>; the defaults suit real endpoints, tests shrink the delays.</summary>
public sealed record DispatchOptions
{
    /// <summary>The wait before the first retry; it doubles for each further one, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Caps the backoff and any Retry-After a server asks for.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock for timeouts, backoff and the times recorded in the state and dead-letter file.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Returns a number in [0, 1) that spreads retries out; <see cref="Random.Shared"/> by default.</summary>
    public Func<double>? Jitter { get; init; }

    /// <summary>
    /// Called with each problem as it happens (a failed attempt, a dead letter, a state write that failed), so a
    /// long retry is visible while it runs. Calls are serialised. The same lines are in <see cref="DispatchSummary.Messages"/>.
    /// </summary>
    public Action<string>? Report { get; init; }
}

/// <summary>
/// What a dispatch did. <see cref="Sent"/> counts deliveries that got a 2xx (of which <see cref="Redelivered"/>
/// were in the dead-letter file); <see cref="Failed"/> deliveries that did not get through this run, each now a
/// dead letter; <see cref="Retries"/> failed attempts that were tried again; <see cref="Unchanged"/> alerts a
/// destination already had at their current count and status; <see cref="DeadLettered"/> the entries in the
/// dead-letter file after the run. No message names a url or a token.
/// </summary>
public sealed record DispatchSummary(
    int Sent,
    int Redelivered,
    int Failed,
    int Retries,
    int Unchanged,
    int DeadLettered,
    string DeadLetterPath,
    bool Canceled,
    IReadOnlyList<string> Messages)
{
    public override string ToString()
    {
        var sb = new StringBuilder("alert delivery: ");
        sb.Append(CultureInfo.InvariantCulture, $"{Sent} sent");
        if (Redelivered > 0) sb.Append(CultureInfo.InvariantCulture, $" ({Redelivered} from the dead-letter file)");
        if (Failed > 0) sb.Append(CultureInfo.InvariantCulture, $", {Failed} failed");
        if (Retries > 0) sb.Append(CultureInfo.InvariantCulture, $", {Retries} retr{(Retries == 1 ? "y" : "ies")}");
        if (Unchanged > 0) sb.Append(CultureInfo.InvariantCulture, $", {Unchanged} unchanged since last sent");
        if (DeadLettered > 0) sb.Append(CultureInfo.InvariantCulture, $"; {DeadLettered} dead letter(s) in {DeadLetterPath}, retried on the next run");
        if (Canceled) sb.Append("; canceled (the rest is sent on the next run)");
        return sb.ToString();
    }
}

/// <summary>
/// Sends alerts to destinations: to each destination, only the alerts its filters accept that it has not had
/// at their current count and status (see <see cref="IDeliveryStore"/>). Destinations are served concurrently,
/// each in alert order. A timeout, a connection error, 408, 429 or 5xx is retried with exponential backoff and
/// jitter; any other 4xx (or a redirect) is a refusal and is not retried within the run. What does not get
/// through goes to the dead-letter file and is tried again by the next run.
/// <para>
/// Delivery is a sink: <see cref="DispatchAsync"/> never throws (not even when canceled) and never touches
/// detection state; it returns a summary for the caller to print. Delivery is at-least-once: a delivery is
/// recorded after its 2xx, so a moat killed in between sends that alert again (the <c>Idempotency-Key</c>
/// header lets a receiver drop the repeat).
/// </para>
/// </summary>
public sealed class AlertDispatcher : IDisposable
{
    private readonly IReadOnlyList<Destination> _destinations;
    private readonly IDeliveryStore _store;
    private readonly string _deadLetterPath;
    private readonly DispatchOptions _options;
    private readonly HttpClient _http;
    private readonly Lock _storeLock = new();
    private readonly Lock _reportLock = new();

    /// <param name="deadLetterPath">Usually <see cref="DeadLetterFile.PathFor"/> of the state file.</param>
    /// <param name="handler">The HTTP stack; a <see cref="SocketsHttpHandler"/> that follows no redirects when null.</param>
    public AlertDispatcher(IReadOnlyList<Destination> destinations, IDeliveryStore store, string deadLetterPath, DispatchOptions? options = null, HttpMessageHandler? handler = null)
    {
        _destinations = destinations;
        _store = store;
        _deadLetterPath = deadLetterPath;
        _options = options ?? new DispatchOptions();
        // Redirects are not followed: a POST would turn into a GET, and the bearer token must only ever go to
        // the configured host. A 3xx is reported so the url can be corrected.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            // Each attempt has its own timeout (the destination's), applied with a token.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("moat", typeof(AlertDispatcher).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public void Dispose() => _http.Dispose();

    /// <param name="alerts">Every current alert (as <see cref="AlertGrouper.Group"/> returns them); only new or changed ones are sent.</param>
    public async Task<DispatchSummary> DispatchAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken = default)
    {
        var messages = new List<string>();
        var loadProblems = new List<string>();
        var previous = DeadLetterFile.Read(_deadLetterPath, loadProblems);
        foreach (var p in loadProblems) Report(messages, p);

        DestinationResult[] results;
        bool crashed = false;
        try
        {
            var tasks = new Task<DestinationResult>[_destinations.Count];
            for (int i = 0; i < _destinations.Count; i++)
            {
                var d = _destinations[i];
                var mine = previous.Where(l => l.Destination == d.Name).ToList();
                tasks[i] = Task.Run(() => RunDestinationAsync(d, alerts, mine, messages, cancellationToken), CancellationToken.None);
            }
            results = await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Not expected (each destination catches its own failures), but delivery must never take the scan down.
            Report(messages, $"alert delivery stopped: {Scrub(e.GetType().Name + ": " + e.Message)}");
            results = [];
            crashed = true;
        }
        bool canceled = crashed || cancellationToken.IsCancellationRequested;

        var next = new List<DeadLetter>();
        if (crashed) next.AddRange(previous);
        else
        {
            foreach (var r in results) next.AddRange(r.DeadLetters);
            // A destination missing from the configuration may be one with a typo this run: its entries are kept.
            var configured = _destinations.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var g in previous.Where(l => !configured.Contains(l.Destination)).GroupBy(l => l.Destination))
            {
                next.AddRange(g);
                Report(messages, $"{g.Count()} dead letter(s) for destination '{g.Key}', which is not configured, are kept; remove them from {_deadLetterPath} if it is gone for good");
            }
        }
        bool fileChanged = previous.Count != next.Count || !previous.SequenceEqual(next);
        if (fileChanged && DeadLetterFile.Write(_deadLetterPath, next) is { } writeError) Report(messages, writeError);

        return new DispatchSummary(
            results.Sum(r => r.Sent), results.Sum(r => r.Redelivered), results.Sum(r => r.Failed), results.Sum(r => r.Retries),
            results.Sum(r => r.Unchanged), next.Count, _deadLetterPath, canceled, messages);
    }

    private sealed record DestinationResult(int Sent, int Redelivered, int Failed, int Retries, int Unchanged, List<DeadLetter> DeadLetters);

    private async Task<DestinationResult> RunDestinationAsync(Destination d, IReadOnlyList<Alert> alerts, List<DeadLetter> previous, List<string> messages, CancellationToken ct)
    {
        var label = $"destination '{d.Name}' ({d.RedactedUrl})";
        var previousById = previous.GroupBy(l => l.AlertId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        IReadOnlyDictionary<string, DeliveryRecord> delivered;
        try
        {
            lock (_storeLock) delivered = _store.Deliveries(d.Name);
        }
        catch (Exception e)
        {
            // Without knowing what was sent, sending would repeat every alert; skip this destination for the run.
            Report(messages, $"{label}: cannot read what was delivered before ({Scrub(e.Message, d)}); nothing sent this run");
            return new DestinationResult(0, 0, 0, 0, 0, previous);
        }

        // Decide what to send before sending anything.
        var work = new List<(Alert Alert, AlertChange Change)>();
        int unchanged = 0;
        var alertIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in alerts)
        {
            alertIds.Add(a.Id);
            if (!d.Accepts(a)) continue;
            if (delivered.TryGetValue(a.Id, out var last))
            {
                if (last.Count == a.Count && last.Status == a.Status) { unchanged++; continue; }
                work.Add((a, AlertChange.Updated));
            }
            // An alert an analyst closed before it was ever sent pages no one; reopening it makes it new again.
            else if (a.Status != "closed" || previousById.ContainsKey(a.Id)) work.Add((a, AlertChange.New));
        }
        var inWork = work.Select(w => w.Alert.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var l in previousById.Values)
        {
            if (inWork.Contains(l.AlertId)) continue;
            if (!alertIds.Contains(l.AlertId))
                Report(messages, $"{label}: alert {l.AlertId} is no longer in the state file; its dead letter was dropped");
            else if (!delivered.ContainsKey(l.AlertId))
                Report(messages, $"{label}: alert {l.AlertId} no longer passes the destination's filters; its dead letter was dropped");
            // Otherwise it was delivered meanwhile (by another run): nothing left to do.
        }

        var dead = new List<DeadLetter>();
        int sent = 0, redelivered = 0, failed = 0, retries = 0;
        string? unreachable = null;
        for (int i = 0; i < work.Count; i++)
        {
            var (alert, change) = work[i];
            previousById.TryGetValue(alert.Id, out var before);
            if (ct.IsCancellationRequested)
            {
                // Not attempted: what was dead already stays dead; the rest is new or changed next run anyway.
                if (before is not null) dead.Add(before);
                continue;
            }
            var now = _options.Time.GetUtcNow();
            if (unreachable is not null)
            {
                // One destination that is down would otherwise cost every remaining alert the full backoff.
                failed++;
                dead.Add(Letter(d, alert, before, before?.Attempts ?? 0, $"not attempted: {unreachable} earlier in this run", null, false, now));
                continue;
            }
            var outcome = await SendAsync(d, label, alert, change, messages, ct).ConfigureAwait(false);
            retries += Math.Max(0, outcome.Attempts - 1);
            if (outcome.Delivered)
            {
                sent++;
                if (before is not null) redelivered++;
                try
                {
                    lock (_storeLock) _store.RecordDelivery(new DeliveryRecord(d.Name, alert.Id, alert.Count, alert.Status, _options.Time.GetUtcNow()));
                }
                catch (Exception e)
                {
                    Report(messages, $"{label}: alert {alert.Id} was delivered but could not be recorded ({Scrub(e.Message, d)}); it will be sent again");
                }
                continue;
            }
            if (outcome.Canceled)
            {
                if (before is not null) dead.Add(before);
                continue;
            }
            failed++;
            dead.Add(Letter(d, alert, before, (before?.Attempts ?? 0) + outcome.Attempts, outcome.Error, outcome.Status, outcome.Permanent, now));
            if (!outcome.Permanent) unreachable = outcome.Error;
        }
        if (unreachable is not null && work.Count > 0)
        {
            int skipped = dead.Count(l => l.LastError.StartsWith("not attempted", StringComparison.Ordinal));
            if (skipped > 0) Report(messages, $"{label}: {skipped} more alert(s) not attempted after it failed; dead-lettered");
        }
        return new DestinationResult(sent, redelivered, failed, retries, unchanged, dead);
    }

    private static DeadLetter Letter(Destination d, Alert a, DeadLetter? before, int attempts, string error, int? status, bool permanent, DateTimeOffset now) =>
        new(d.Name, a.Id, a.RuleId, attempts, error, status, permanent, before?.FirstFailed ?? now, now);

    private readonly record struct Outcome(bool Delivered, bool Permanent, bool Canceled, int Attempts, string Error, int? Status);

    private async Task<Outcome> SendAsync(Destination d, string label, Alert alert, AlertChange change, List<string> messages, CancellationToken ct)
    {
        byte[] body = AlertPayloads.For(d, alert, change);
        int maxAttempts = d.Retries + 1;
        for (int attempt = 1; ; attempt++)
        {
            Attempt r;
            try
            {
                r = await AttemptAsync(d, alert, body, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return new Outcome(false, false, true, attempt - 1, "canceled", null);
            }
            if (r.Delivered) return new Outcome(true, false, false, attempt, "", r.Status);
            if (r.Permanent || attempt >= maxAttempts)
            {
                Report(messages, $"{label}: alert {alert.Id}: {r.Error}; dead-lettered after {attempt} attempt(s)" + (r.Permanent ? " (refused, not retried)" : ""));
                return new Outcome(false, r.Permanent, false, attempt, r.Error, r.Status);
            }
            var delay = Backoff(attempt, r.RetryAfter);
            Report(messages, $"{label}: alert {alert.Id}: {r.Error}; retrying in {Seconds(delay)} (attempt {attempt} of {maxAttempts})");
            try
            {
                await Task.Delay(delay, _options.Time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return new Outcome(false, false, true, attempt, r.Error, r.Status);
            }
        }
    }

    private readonly record struct Attempt(bool Delivered, bool Permanent, string Error, int? Status, TimeSpan? RetryAfter);

    /// <summary>One POST. Throws only when <paramref name="ct"/> is canceled; every other failure is an <see cref="Attempt"/>.</summary>
    private async Task<Attempt> AttemptAsync(Destination d, Alert alert, byte[] body, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(d.Timeout, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (d.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", d.Token);
        // Same key for the same alert state: a receiver can drop the repeat that at-least-once delivery may cause.
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"{alert.Id}-{alert.Count.ToString(CultureInfo.InvariantCulture)}-{alert.Status}");
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return new Attempt(true, false, "", status, null);
            var error = $"HTTP {status.ToString(CultureInfo.InvariantCulture)}" + (response.ReasonPhrase is { Length: > 0 } reason ? " " + Clean(reason, 60) : "");
            var excerpt = await BodyExcerptAsync(response, linked.Token).ConfigureAwait(false);
            if (excerpt.Length > 0) error += ": " + excerpt;
            error = Scrub(error, d);
            if (status is >= 300 and < 400) return new Attempt(false, true, error + " (redirects are not followed; set url to the final address)", status, null);
            if (status is 408 or 429 || status >= 500) return new Attempt(false, false, error, status, RetryAfter(response));
            if (status >= 400) return new Attempt(false, true, error, status, null);
            return new Attempt(false, false, error, status, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Attempt(false, false, $"no response within {Seconds(d.Timeout)}", null, null);
        }
        catch (HttpRequestException e)
        {
            return new Attempt(false, false, Describe(e), null, null);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            return new Attempt(false, false, $"request failed ({e.GetType().Name})", null, null);
        }
    }

    /// <summary>
    /// Reasons from the exception's kind, never its message: .NET messages can quote the request address, and
    /// the url is a secret.
    /// </summary>
    private static string Describe(HttpRequestException e)
    {
        var socket = e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException;
        return e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError when socket?.SocketErrorCode == SocketError.ConnectionRefused => "connection refused",
            HttpRequestError.ConnectionError when socket is not null => $"cannot connect ({socket.SocketErrorCode})",
            HttpRequestError.ConnectionError => "cannot connect",
            HttpRequestError.NameResolutionError => "host name not found",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            HttpRequestError.ProxyTunnelError => "the proxy refused the connection",
            HttpRequestError.ResponseEnded => "the server closed the connection without a complete response",
            HttpRequestError.InvalidResponse => "the response is not valid HTTP",
            _ => $"request failed ({e.HttpRequestError})",
        };
    }

    /// <summary>The start of an error response (Slack answers <c>invalid_blocks</c>, <c>no_service</c>, ...), on one line.</summary>
    private static async Task<string> BodyExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        const int max = 200;
        try
        {
            await using var s = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[max * 4];
            int n = await s.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            return Clean(Encoding.UTF8.GetString(buffer, 0, n), max);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "";
        }
    }

    private static string Clean(string s, int max)
    {
        var sb = new StringBuilder(Math.Min(s.Length, max));
        foreach (var c in s)
        {
            if (sb.Length >= max) { sb.Append('…'); break; }
            sb.Append(char.IsControl(c) ? ' ' : c);
        }
        return sb.ToString().Trim();
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var h = response.Headers.RetryAfter;
        if (h?.Delta is { } delta) return delta;
        if (h?.Date is { } date) return date - _options.Time.GetUtcNow();
        return null;
    }

    /// <summary>
    /// base × 2^(attempt−1), capped, then jittered to between half and all of it so that retries from many
    /// alerts (or many moats) do not arrive in lockstep. A Retry-After from the server wins when it is longer.
    /// </summary>
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        double ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        double jitter = _options.Jitter?.Invoke() ?? Random.Shared.NextDouble();
        double ms = ceiling * (0.5 + 0.5 * Math.Clamp(jitter, 0, 1));
        if (retryAfter is { } ra && ra.TotalMilliseconds > ms) ms = Math.Min(ra.TotalMilliseconds, _options.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Max(0, ms));
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString(t.TotalSeconds < 10 ? "0.##" : "0", CultureInfo.InvariantCulture) + "s";

    private void Report(List<string> messages, string message)
    {
        lock (_reportLock)
        {
            messages.Add(message);
            _options.Report?.Invoke(message);
        }
    }

    /// <summary>Removes a destination's url and token from text that came from outside (a response, an exception).</summary>
    private static string Scrub(string text, Destination d)
    {
        foreach (var secret in new[] { d.Token, d.Url.OriginalString, d.Url.AbsoluteUri, d.Url.PathAndQuery.Length > 1 ? d.Url.PathAndQuery : null })
            if (!string.IsNullOrEmpty(secret)) text = text.Replace(secret, "…", StringComparison.Ordinal);
        return text;
    }

    private string Scrub(string text)
    {
        foreach (var d in _destinations) text = Scrub(text, d);
        return text;
    }
}
