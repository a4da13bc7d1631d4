using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Moat.Tests.Destinations;

internal sealed record ReceivedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>What the server does with one request: answer with a status (and body), after an optional stall.</summary>
internal sealed record Reply(int Status, string Body = "", TimeSpan Stall = default, string? RetryAfter = null)
{
    public static Reply Ok { get; } = new(200, "ok");
}

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 and a free port, over a raw <see cref="TcpListener"/> so a test can make it
/// stall or fail at will. Every request is recorded before it is answered; each connection serves one request.
/// </summary>
internal sealed class TestHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<ReceivedRequest, int, Reply> _respond;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private int _count;

    /// <param name="respond">Given the request and its 0-based number, says how to answer.</param>
    public TestHttpServer(Func<ReceivedRequest, int, Reply> respond)
    {
        _respond = respond;
        _listener.Start();
        _ = AcceptLoop();
    }

    public TestHttpServer(params Reply[] replies) : this((_, i) => replies[Math.Min(i, replies.Length - 1)])
    {
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Url(string path = "/hooks/T000/B000/s3cr3t-path") => new($"http://127.0.0.1:{Port}{path}");

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>A url on a port nothing listens on: connecting is refused.</summary>
    public static Uri RefusingUrl(string path = "/hooks/T000/B000/s3cr3t-path")
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return new Uri($"http://127.0.0.1:{port}{path}");
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var request = await ReadRequest(stream);
            if (request is null) return;
            _requests.Enqueue(request);
            var reply = _respond(request, Interlocked.Increment(ref _count) - 1);
            if (reply.Stall > TimeSpan.Zero) await Task.Delay(reply.Stall, _stop.Token);
            var body = Encoding.UTF8.GetBytes(reply.Body);
            var head = new StringBuilder()
                .Append($"HTTP/1.1 {reply.Status} {Reason(reply.Status)}\r\n")
                .Append("Content-Type: text/plain\r\n")
                .Append($"Content-Length: {body.Length}\r\n")
                .Append("Connection: close\r\n");
            if (reply.RetryAfter is not null) head.Append($"Retry-After: {reply.RetryAfter}\r\n");
            head.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
            await stream.WriteAsync(body, _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client gave up (timeout) or the test is over.
        }
    }

    private async Task<ReceivedRequest?> ReadRequest(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
        {
            int n = await stream.ReadAsync(chunk, _stop.Token);
            if (n == 0) return null;
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        var lines = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray()).Split("\r\n");
        var first = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var l in lines.Skip(1))
        {
            int colon = l.IndexOf(':');
            if (colon > 0) headers[l[..colon].Trim()] = l[(colon + 1)..].Trim();
        }
        int length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl) : 0;
        var body = buffer.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            int n = await stream.ReadAsync(chunk, _stop.Token);
            if (n == 0) break;
            body.AddRange(chunk.AsSpan(0, n));
        }
        return new ReceivedRequest(first[0], first.Length > 1 ? first[1] : "", headers, [.. body]);
    }

    private static int IndexOfHeaderEnd(List<byte> b)
    {
        for (int i = 0; i + 3 < b.Count; i++)
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        return -1;
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
