using System.Text.Json;
using System.Text.Json.Nodes;
using Moat.Tests.Support;
using static Moat.Tests.Emit.JsonPaths;

namespace Moat.Tests.Emit;

/// <summary>
/// The validator itself: it accepts the schema's reference examples, and it rejects a written finding as soon as
/// one required attribute is taken out or one value breaks its type, enum or constraint.
/// </summary>
public sealed class OcsfSchemaValidatorTests
{
    private static OcsfSchemaValidator Schema => OcsfAlertWriterTests.Schema.Value;

    private static string CloudTrail => OcsfAlertWriterTests.Ocsf(AlertSamples.CloudTrailUpdated);

    private static string Login => OcsfAlertWriterTests.Ocsf(AlertSamples.Login);

    private static List<string> Codes(string json, string path) =>
        [.. Schema.Validate(json).Errors.Where(e => e.Path == path).Select(e => e.Code)];

    [Theory]
    [InlineData("detection_finding.sg-open-db-port.json")]
    [InlineData("detection_finding.rds-anomalous-login.json")]
    public void Accepts_the_reference_examples(string file)
    {
        var report = Schema.Validate(File.ReadAllText(Repo.Data("ocsf-schema", "examples", file)));
        Assert.Empty(report.Errors);
    }

    /// <summary>Each attribute the schema requires in the written finding, at every depth.</summary>
    [Theory]
    [InlineData("activity_id")]
    [InlineData("category_uid")]
    [InlineData("class_uid")]
    [InlineData("type_uid")]
    [InlineData("severity_id")]
    [InlineData("time")]
    [InlineData("metadata")]
    [InlineData("metadata.version")]
    [InlineData("metadata.product")]
    [InlineData("finding_info")]
    [InlineData("finding_info.uid")]
    [InlineData("finding_info.analytic.type_id")]
    [InlineData("finding_info.related_events[0].uid")]
    [InlineData("cloud")]
    [InlineData("cloud.provider")]
    [InlineData("evidences[0].api.operation")]
    [InlineData("remediation.desc")]
    public void Reports_a_required_attribute_taken_out_of_a_cloudtrail_finding(string path)
    {
        Assert.Empty(Schema.Validate(CloudTrail).Errors);
        var broken = Without(CloudTrail, path);
        // class_uid decides which class applies: without it the event is not this class at all.
        Assert.Contains(path == "class_uid" ? "unknown-class" : "missing-required", Codes(broken, path));
    }

    [Fact]
    public void Reports_the_database_type_taken_out_of_a_login_finding()
    {
        Assert.Contains("missing-required", Codes(Without(Login, "evidences[0].database.type_id"), "evidences[0].database.type_id"));
    }

    /// <summary>
    /// Takes out every attribute of the written findings, one at a time: exactly the required ones (and the last
    /// member of an at-least-one constraint) are reported, each at its own path.
    /// </summary>
    [Theory]
    [InlineData(nameof(AlertSamples.CloudTrailUpdated),
        "activity_id category_uid class_uid type_uid severity_id time metadata metadata.version metadata.profiles metadata.product metadata.product.name " +
        "cloud cloud.provider cloud.account.uid finding_info finding_info.uid finding_info.analytic.type_id " +
        "finding_info.attacks[0].technique.uid finding_info.attacks[0].sub_technique.uid " +
        "finding_info.related_events[0].uid finding_info.related_events[1].uid resources[0].uid " +
        "evidences[0].actor.user evidences[0].api.operation evidences[0].api.service.name evidences[0].src_endpoint.ip " +
        "evidences[1].actor.user evidences[1].api.operation evidences[1].api.service.name evidences[1].src_endpoint.ip remediation.desc")]
    [InlineData(nameof(AlertSamples.Login),
        "activity_id category_uid class_uid type_uid severity_id time metadata metadata.version metadata.product metadata.product.name " +
        "finding_info finding_info.uid finding_info.analytic.type_id finding_info.attacks[0].technique.uid " +
        "finding_info.related_events[0].uid finding_info.related_events[1].uid resources[0].uid " +
        "evidences[0].actor.user evidences[0].actor.user.name evidences[0].database.type_id evidences[0].src_endpoint.ip " +
        "evidences[1].actor.user evidences[1].actor.user.name evidences[1].database.type_id evidences[1].src_endpoint.ip remediation.desc")]
    public void Reports_exactly_the_required_attributes_when_each_attribute_is_taken_out(string sample, string expected)
    {
        var json = OcsfAlertWriterTests.Ocsf(AlertSamples.ByName(sample));
        var flagged = new List<string>();
        foreach (var path in All(json))
        {
            var errors = Schema.Validate(Without(json, path)).Errors;
            if (errors.Count == 0) continue;
            flagged.Add(path);
            // The error names the attribute taken out, or the object whose constraint it was the last member of.
            var parent = path.Contains('.') ? path[..path.LastIndexOf('.')] : "";
            // Taking out metadata.profiles (or metadata) unlists the cloud profile: its attributes are then reported where they are.
            Assert.All(errors, e => Assert.True(e.Path == path || (e.Code == "constraint" && e.Path == parent) || path == "class_uid"
                || (e.Code == "profile-not-listed" && path is "metadata" or "metadata.profiles"), $"{path}: {e}"));
        }
        Assert.True(expected.Split(' ').SequenceEqual(flagged), "flagged: " + string.Join(" ", flagged));
    }

    public static TheoryData<string, string, string, string> BrokenValues => new()
    {
        // path, JSON value, reported at, code
        { "status_id", "7", "status_id", "not-in-enum" },
        { "severity_id", "9", "severity_id", "not-in-enum" },
        { "activity_id", "4", "activity_id", "not-in-enum" },
        { "category_uid", "1", "category_uid", "not-in-enum" },
        { "finding_info.analytic.type_id", "12", "finding_info.analytic.type_id", "not-in-enum" },
        { "resources[0].role_id", "5", "resources[0].role_id", "not-in-enum" },
        { "cloud.account.type_id", "42", "cloud.account.type_id", "not-in-enum" },
        { "time", "\"2026-11-20T09:19:02Z\"", "time", "wrong-type" },
        { "time", "1795162742", "time", "timestamp-in-seconds" },
        { "severity_id", "\"4\"", "severity_id", "wrong-type" },
        { "count", "2.5", "count", "wrong-type" },
        { "count", "3000000000", "count", "wrong-type" },
        { "is_alert", "\"true\"", "is_alert", "wrong-type" },
        { "finding_info.uid", "42", "finding_info.uid", "wrong-type" },
        { "finding_info.types", "\"TTPs\"", "finding_info.types", "wrong-type" },
        { "metadata", "[]", "metadata", "wrong-type" },
        { "evidences[0].src_endpoint.ip", "\"ec2.amazonaws.com\"", "evidences[0].src_endpoint.ip", "bad-format" },
        { "type_uid", "200401", "type_uid", "type-uid-mismatch" },
        { "metadata.version", "\"1.9.0\"", "metadata.version", "bad-version" },
        { "metadata.version", "\"one\"", "metadata.version", "bad-version" },
        { "metadata.profiles", "[\"cloud\",\"nonsense\"]", "metadata.profiles[1]", "unknown-profile" },
        { "metadata.profiles", "[]", "cloud", "profile-not-listed" },
        { "attacks", "[{\"tactic\":{\"uid\":\"TA0005\"}}]", "attacks", "profile-not-listed" },
        { "src_endpoint", "{\"ip\":\"198.51.100.23\"}", "src_endpoint", "unknown-attribute" },
        { "finding_info.analytic.uid", "null", "finding_info.analytic.uid", "wrong-type" },
        { "finding_info.analytic", "{\"type_id\":1}", "finding_info.analytic", "constraint" },
        { "finding_info.attacks[0]", "{}", "finding_info.attacks[0]", "constraint" },
    };

    [Theory]
    [MemberData(nameof(BrokenValues))]
    public void Reports_a_value_that_breaks_the_schema(string path, string value, string at, string code)
    {
        var broken = With(CloudTrail, path, JsonNode.Parse(value));
        Assert.Contains(code, Codes(broken, at));
    }

    [Fact]
    public void Warns_when_a_caption_differs_from_its_id()
    {
        var report = Schema.Validate(With(CloudTrail, "severity", JsonValue.Create("Low")));
        Assert.Empty(report.Errors);
        Assert.Contains(report.Warnings, w => w.Code == "sibling-mismatch" && w.Path == "severity");
    }

    [Fact]
    public void Reports_recommended_attributes_only_when_asked()
    {
        var json = Without(CloudTrail, "finding_info.title");
        Assert.DoesNotContain(Schema.Validate(json).Warnings, w => w.Code == "missing-recommended");
        Assert.Contains(Schema.Validate(json, reportRecommended: true).Warnings, w => w.Code == "missing-recommended" && w.Path == "finding_info.title");
    }

    /// <summary>The compiled class the validator loads is the one the source files define.</summary>
    [Fact]
    public void Compiled_schema_agrees_with_the_source_files()
    {
        string Dir(params string[] parts) => Repo.Data(["ocsf-schema", .. parts]);
        using var categories = JsonDocument.Parse(File.ReadAllText(Dir("categories.json")));
        using var source = JsonDocument.Parse(File.ReadAllText(Dir("events", "findings", "detection_finding.json")));
        using var dictionary = JsonDocument.Parse(File.ReadAllText(Dir("dictionary.json")));
        using var compiled = JsonDocument.Parse(File.ReadAllText(Dir("compiled", "detection_finding.json")));

        // The category is inherited: detection_finding extends finding, which names it.
        string? categoryName = null;
        for (var file = "detection_finding"; categoryName is null;)
        {
            using var cls = JsonDocument.Parse(File.ReadAllText(file == "base_event" ? Dir("events", "base_event.json") : Dir("events", "findings", file + ".json")));
            if (cls.RootElement.TryGetProperty("category", out var c)) categoryName = c.GetString();
            else file = cls.RootElement.GetProperty("extends").GetString()!;
        }
        var category = categories.RootElement.GetProperty("attributes").GetProperty(categoryName);
        Assert.Equal(category.GetProperty("uid").GetInt32() * 1000 + source.RootElement.GetProperty("uid").GetInt32(), Schema.ClassUid);
        Assert.Equal(Schema.Version, compiled.RootElement.GetProperty("version").GetString());

        var words = dictionary.RootElement.GetProperty("attributes");
        foreach (var a in Schema.Class.GetProperty("attributes").EnumerateObject())
        {
            // The datetime profile adds a <name>_dt string beside each timestamp; the compiler makes those up.
            var word = a.Name.EndsWith("_dt", StringComparison.Ordinal) ? a.Name[..^3] : a.Name;
            Assert.True(words.TryGetProperty(word, out _), $"{a.Name} is not in dictionary.json");
        }
        var types = dictionary.RootElement.GetProperty("types").GetProperty("attributes");
        foreach (var t in compiled.RootElement.GetProperty("types").EnumerateObject())
            Assert.True(types.TryGetProperty(t.Name, out _), $"type {t.Name} is not in dictionary.json");
    }
}
