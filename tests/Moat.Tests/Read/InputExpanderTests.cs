using Moat.Read;

namespace Moat.Tests.Read;

/// <summary>PATH arguments become a stable, ordered list of inputs; folders are walked, odd entries left out.</summary>
public sealed class InputExpanderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (IReadOnlyList<InputFile> Inputs, List<ReadError> Errors, List<string> Notes) Expand(params string[] paths)
    {
        var errors = new List<ReadError>();
        var notes = new List<string>();
        var inputs = InputExpander.Expand(paths, errors, notes.Add);
        return (inputs, errors, notes);
    }

    private string Rel(InputFile f) => Path.GetRelativePath(_dir.Path, f.Path!).Replace('\\', '/');

    [Fact]
    public void Walks_folders_recursively_in_ordinal_order_files_before_subfolders()
    {
        foreach (var name in new[] { "b.json", "B.json", "a.json.gz", "_x.jsonl", "10.log", "9.ndjson", "sub/z.json", "sub/deeper/a.json", "Sub2/c.log.gz", "a/x.gz" })
            _dir.Write(name, "{}");

        var (inputs, errors, _) = Expand(_dir.Path);

        Assert.Empty(errors);
        Assert.Equal(
            ["10.log", "9.ndjson", "B.json", "_x.jsonl", "a.json.gz", "b.json", "Sub2/c.log.gz", "a/x.gz", "sub/z.json", "sub/deeper/a.json"],
            inputs.Select(Rel));
        Assert.All(inputs, i => Assert.Equal(i.Path, i.DisplayName));
    }

    [Fact]
    public void Records_each_file_length()
    {
        var path = _dir.Write("x.json", "{\"Records\":[]}");
        var (inputs, _, _) = Expand(_dir.Path);
        var input = Assert.Single(inputs);
        Assert.Equal(path, input.Path);
        Assert.Equal(14, input.Length);
    }

    [Fact]
    public void Skips_hidden_files_and_folders_and_cloudtrail_digest_folders()
    {
        _dir.Write("keep.json", "{}");
        _dir.Write(".hidden.json", "{}");
        _dir.Write(".git/objects.json", "{}");
        _dir.Write("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/log.json.gz", "{}");
        _dir.Write("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01/digest.json.gz", "{}");
        _dir.Write("other/cloudtrail-digest/d.json.gz", "{}");

        var (inputs, errors, notes) = Expand(_dir.Path);

        Assert.Empty(errors);
        Assert.Equal(["keep.json", "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/log.json.gz"], inputs.Select(Rel));
        Assert.Equal(2, notes.Count(n => n.Contains("CloudTrail digest files hold signatures")));
        Assert.Contains(notes, n => n.StartsWith(_dir.File("AWSLogs/111122223333/CloudTrail-Digest") + ": skipped"));
    }

    [Fact]
    public void Leaves_files_not_named_like_logs_out_of_a_walk_and_says_how_many()
    {
        _dir.Write("README.md", "# notes");
        _dir.Write("LICENSE", "MIT");
        _dir.Write("events.json", "{}");

        var (inputs, errors, notes) = Expand(_dir.Path);

        Assert.Empty(errors);
        Assert.Equal(["events.json"], inputs.Select(Rel));
        var note = Assert.Single(notes);
        Assert.StartsWith($"{_dir.Path}: 2 file(s) not named like logs were left out (e.g. {_dir.File("LICENSE")})", note);
    }

    [Fact]
    public void Reads_a_file_not_named_like_a_log_when_named_explicitly()
    {
        var readme = _dir.Write("README.md", "# notes");
        var (inputs, errors, notes) = Expand(readme);
        Assert.Empty(errors);
        Assert.Empty(notes);
        var input = Assert.Single(inputs);
        Assert.Equal(readme, input.Path);
        Assert.Equal(readme, input.DisplayName);
    }

    [Fact]
    public void Reads_a_hidden_file_when_named_explicitly()
    {
        var hidden = _dir.Write(".events.json", "{}");
        var (inputs, errors, _) = Expand(hidden);
        Assert.Empty(errors);
        Assert.Equal(hidden, Assert.Single(inputs).Path);
    }

    [Fact]
    public void Reports_a_missing_path_and_expands_the_others()
    {
        var a = _dir.Write("a.json", "{}");
        var missing = _dir.File("nope.json");
        var b = _dir.Write("b.json", "{}");

        var (inputs, errors, _) = Expand(b, missing, a);

        var e = Assert.Single(errors);
        Assert.Equal(missing, e.Source);
        Assert.Equal("no such file or folder", e.Reason);
        // Named paths keep the order they were given in.
        Assert.Equal([b, a], inputs.Select(i => i.Path));
    }

    [Fact]
    public void Notes_a_folder_that_holds_no_log_files()
    {
        var empty = _dir.Folder("empty");
        _dir.Write("empty/.hidden.json", "{}");
        var (inputs, errors, notes) = Expand(empty);
        Assert.Empty(inputs);
        Assert.Empty(errors);
        Assert.Equal([$"{empty}: folder holds no log files to scan"], notes);
    }

    [Fact]
    public void Takes_a_dash_as_standard_input()
    {
        var a = _dir.Write("a.json", "{}");
        var (inputs, errors, _) = Expand("-", a);
        Assert.Empty(errors);
        Assert.Same(InputFile.StandardInput, inputs[0]);
        Assert.Null(inputs[0].Path);
        Assert.Equal(a, inputs[1].Path);
    }

    [Theory]
    [InlineData("x.json", true)]
    [InlineData("x.JSON.GZ", true)]
    [InlineData("x.jsonl", true)]
    [InlineData("x.ndjson.gz", true)]
    [InlineData("x.log", true)]
    [InlineData("x.gz", true)]
    [InlineData("README.md", false)]
    [InlineData("LICENSE", false)]
    [InlineData("x.json.bak", false)]
    [InlineData("x.csv", false)]
    public void Recognises_log_file_names(string name, bool expected)
    {
        Assert.Equal(expected, InputExpander.LooksLikeLog(name));
    }
}
