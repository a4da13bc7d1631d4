using System.Text.Json;
using Moat.Tests.Support;

namespace Moat.Tests.Alerts;

/// <summary>`moat alerts list --format jsonl|ocsf|asff|guardduty [--out FILE]` on alerts kept by a real scan.</summary>
public sealed class AlertExportCommandTests
{
    [Theory]
    [InlineData("jsonl", "ruleId")]
    [InlineData("ocsf", "class_uid")]
    [InlineData("asff", "SchemaVersion")]
    [InlineData("guardduty", "schemaVersion")]
    public void Each_alert_format_writes_one_json_object_per_alert(string format, string field)
    {
        using var tmp = new TempDir();
        var state = Path.Combine(tmp.Path, "state.db");
        Assert.Equal(0, MoatProcess.Run("scan", "samples/cloudtrail", "--state", state, "-q", "--format", "jsonl").ExitCode);
        var table = MoatProcess.Run("alerts", "list", "--state", state);
        int alerts = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(alerts > 0);
        var outFile = Path.Combine(tmp.Path, "alerts." + format);
        var run = MoatProcess.Run("alerts", "list", "--state", state, "--format", format, "--out", outFile);
        Assert.Equal(0, run.ExitCode);
        var lines = File.ReadAllLines(outFile).Where(l => l.Length > 0).ToList();
        Assert.Equal(alerts, lines.Count);
        Assert.All(lines, l => Assert.True(JsonDocument.Parse(l).RootElement.TryGetProperty(field, out _)));
    }

    [Fact]
    public void Destinations_in_a_config_file_need_a_state_file()
    {
        using var tmp = new TempDir();
        var cfg = tmp.File("moat.yaml", "destinations:\n  - name: hook\n    type: webhook\n    url: http://127.0.0.1:9/\n");
        var run = MoatProcess.Run("scan", "samples/cloudtrail", "--config", cfg, "-q");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("need --state", run.Stderr);
    }
}
