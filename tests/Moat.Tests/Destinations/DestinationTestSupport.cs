using Moat.Alerts;
using Moat.Destinations;
using Moat.Rules;

namespace Moat.Tests.Destinations;

internal static class DestinationTestSupport
{
    public const string Token = "tok-7f3a9c1e-SECRET";
    public const string SecretPath = "s3cr3t-path";

    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Small delays so retries cost milliseconds; no jitter so timings are predictable.</summary>
    public static DispatchOptions FastOptions(List<string>? reported = null) => new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(10),
        MaxDelay = TimeSpan.FromMilliseconds(40),
        Jitter = () => 0.5,
        Report = reported is null ? null : reported.Add,
    };

    public static Destination Webhook(Uri url, string name = "soc") => new()
    {
        Name = name,
        Type = DestinationType.Webhook,
        Url = url,
        Token = Token,
        Timeout = TimeSpan.FromSeconds(5),
        Retries = 3,
        MinSeverity = Severity.Info,
    };

    public const string FindingJson = """
        {"ruleId":"aws.iam.access-key-created","title":"Access key created for another user","severity":"high","eventId":"e1","eventTime":"2026-03-01T10:00:00Z",
         "principal":"arn:aws:iam::111122223333:user/alice","resource":{"userName":"bob","accessKeyId":["AKIA1","AKIA2"]},
         "runbook":"Ask alice why <bob> needs a key & who approved it.","remediation":"Deactivate the key: aws iam update-access-key --status Inactive","dedupKey":"alice"}
        """;

    public static Alert Alert(string id = "0a1b2c3d4e5f6a7b", long count = 1, string status = "open", Severity severity = Severity.High,
        string ruleId = "aws.iam.access-key-created", string? statusReason = null)
    {
        var match = new StoredMatch(ruleId, "e1", "alice", T0, severity, "Access key created for another user", "111122223333",
            "arn:aws:iam::111122223333:user/alice", TimeSpan.FromHours(1), 1, null, FindingJson);
        return new Alert(id, ruleId, "alice", severity, "Access key created for another user", status, statusReason, count,
            T0, T0.AddMinutes(count), "111122223333", "arn:aws:iam::111122223333:user/alice", [match]);
    }
}
