using System.Text;
using System.Text.Json;
using Moat.Emit;
using Moat.Logins;
using Moat.Rules;

namespace Moat.Tests.Emit;

public sealed class FindingJsonReaderTests
{
    private static string Written(Finding f)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            JsonFindingWriter.WriteObject(w, f);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void Reads_back_every_golden_finding_so_that_writing_it_again_gives_the_same_bytes()
    {
        foreach (var line in AlertSamples.GoldenFindings) Assert.Equal(line, Written(FindingJsonReader.Read(line)));
    }

    [Fact]
    public void Reads_back_a_login_finding_with_its_login_details()
    {
        var login = AlertSamples.Login.Matches[0];
        var f = FindingJsonReader.Read(login.FindingJson);
        Assert.Equal(login.FindingJson, Written(f));
        Assert.Equal("login", f.RuleKind);
        var d = Assert.IsType<LoginFindingDetails>(f.Login);
        Assert.Equal(("prod-db-1", "etl_admin", "198.51.100.7", "orders"), (d.Database, d.User, d.RemoteIp, d.DatabaseName));
        Assert.Equal((1L, 2L, 3L), (d.SuccessfulLoginCount, d.FailedLoginCount, d.Count));
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T08:01:10Z", System.Globalization.CultureInfo.InvariantCulture), d.FirstSeen);
        Assert.False(d.RemoteIsPrivate);
        Assert.Equal("AS64500 Example Transit", Assert.Single(d.Unusual).Value);
        Assert.Equal(412L, Assert.Single(Assert.Single(d.Historical).Value).Count);
    }

    [Fact]
    public void Header_reads_the_event_strings_without_the_rest()
    {
        var h = FindingJsonReader.Header(AlertSamples.GoldenFindings[0]);
        Assert.Equal("00000000-0000-0000-0000-000000033233", h["eventId"]);
        Assert.Equal("AuthorizeSecurityGroupIngress", h["eventName"]);
        Assert.Equal("198.51.100.23", h["sourceIp"]);
        Assert.Equal(Severity.High.Name(), h["severity"]);
        Assert.False(h.ContainsKey("description"));
    }
}
