using Moat.Rules;
using Moat.Rules.Sigma;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>contains / startswith / endswith, re and its flags, windash, and unknown modifiers.</summary>
public sealed class StringModifierTests
{
    [Theory]
    [InlineData("contains", "xx AWS-CLI yy", true)]
    [InlineData("contains", "aws-cl", false)]
    [InlineData("startswith", "AWS-CLI/2.0", true)]
    [InlineData("startswith", "x aws-cli", false)]
    [InlineData("endswith", "via aws-cli", true)]
    [InlineData("endswith", "aws-cli/2", false)]
    public void Contains_startswith_and_endswith_ignore_case(string modifier, string value, bool expected)
    {
        var rule = Rule($"sel:\n  userAgent|{modifier}: aws-cli\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("userAgent", value)));
    }

    [Theory]
    [InlineData("contains", "my Secret key", true)]
    [InlineData("contains", "my secret key", false)]
    [InlineData("startswith", "Secret key", true)]
    [InlineData("startswith", "SECRET key", false)]
    [InlineData("endswith", "a Secret", true)]
    [InlineData("endswith", "a secret", false)]
    public void Cased_applies_to_contains_startswith_and_endswith(string modifier, string value, bool expected)
    {
        var rule = Rule($"sel:\n  f|{modifier}|cased: Secret\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("f", value)));
    }

    [Theory]
    [InlineData("contains", "'cli*linux'", "aws-CLI/2.15 Python/3 Linux/5.10", true)]
    [InlineData("contains", "'cli*linux'", "aws-cli/2.15 Darwin", false)]
    [InlineData("startswith", "'a?s-'", "aws-cli", true)]
    [InlineData("startswith", "'a?s-'", "as-cli", false)]
    [InlineData("endswith", "'.amazon*.com'", "lambda.amazonaws.com", true)]
    [InlineData("endswith", "'.amazon*.com'", "lambda.amazonaws.com.evil", false)]
    public void Wildcards_inside_contains_startswith_and_endswith_values_still_work(string modifier, string sigma, string value, bool expected)
    {
        var rule = Rule($"sel:\n  f|{modifier}: {sigma}\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("f", value)));
    }

    [Fact]
    public void Contains_of_a_star_needs_the_field_to_be_present_and_not_null()
    {
        var rule = Rule("sel:\n  f|contains: '*'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "anything")));
        Assert.False(rule.Matches("""{}"""));
        Assert.False(rule.Matches("""{"f": null}"""));
    }

    [Theory]
    [InlineData("xxabbbcxx", true)]
    [InlineData("abc", true)]
    [InlineData("ac", false)]
    public void Re_is_an_unanchored_search(string value, bool expected)
    {
        var rule = Rule("sel:\n  f|re: 'ab+c'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("f", value)));
    }

    [Fact]
    public void Re_anchors_are_honoured()
    {
        var rule = Rule("sel:\n  f|re: '^ab+c$'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "abbc")));
        Assert.False(rule.Matches(Event("f", "xabbc")));
    }

    [Fact]
    public void Re_is_case_sensitive_unless_i_is_given()
    {
        var plain = Rule("sel:\n  f|re: 'secret[0-9]+'\ncondition: sel");
        Assert.True(plain.Matches(Event("f", "my secret42")));
        Assert.False(plain.Matches(Event("f", "my SECRET42")));

        var ignoreCase = Rule("sel:\n  f|re|i: 'secret[0-9]+'\ncondition: sel");
        Assert.True(ignoreCase.Matches(Event("f", "my SECRET42")));
    }

    [Fact]
    public void Re_m_makes_anchors_match_at_line_breaks()
    {
        const string multiLine = """{"f": "first\nsecond\nthird"}""";
        Assert.False(Rule("sel:\n  f|re: '^second$'\ncondition: sel").Matches(multiLine));
        Assert.True(Rule("sel:\n  f|re|m: '^second$'\ncondition: sel").Matches(multiLine));
    }

    [Fact]
    public void Re_s_makes_dot_match_a_line_break()
    {
        const string multiLine = """{"f": "begin\nend"}""";
        Assert.False(Rule("sel:\n  f|re: 'begin.end'\ncondition: sel").Matches(multiLine));
        Assert.True(Rule("sel:\n  f|re|s: 'begin.end'\ncondition: sel").Matches(multiLine));
    }

    [Fact]
    public void Re_flags_combine()
    {
        var rule = Rule("sel:\n  f|re|i|m|s: '^BEGIN.END$'\ncondition: sel");
        Assert.True(rule.Matches("""{"f": "x\nbegin\nend\ny"}"""));
    }

    [Fact]
    public void Re_values_are_taken_raw_not_as_wildcards()
    {
        var rule = Rule("sel:\n  f|re: '^a*b$'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "b")));
        Assert.True(rule.Matches(Event("f", "aaab")));
        Assert.False(rule.Matches(Event("f", "a-b")));
    }

    [Fact]
    public void A_modifier_before_re_is_rejected_at_the_key()
    {
        var load = LoadDetection("sel:\n  f|contains|re: 'ab+c'\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 5), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void A_regex_that_does_not_compile_is_reported()
    {
        var load = LoadDetection("sel:\n  f|re: 'ab(c'\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.BadRegex);
    }

    [Theory]
    [InlineData("-enc", true)]
    [InlineData("/enc", true)]
    [InlineData("\u2013enc", true)]
    [InlineData("\u2014enc", true)]
    [InlineData("\u2015enc", true)]
    [InlineData("_enc", false)]
    [InlineData("enc", false)]
    public void Windash_accepts_all_five_dash_characters_at_a_word_start(string value, bool expected)
    {
        var rule = Rule("sel:\n  CommandLine|windash: '-enc'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("CommandLine", value)));
    }

    [Theory]
    [InlineData("powershell.exe /nop -w hidden", true)]
    [InlineData("powershell.exe \u2013nop \u2014w hidden", true)]
    [InlineData("powershell.exe -nop /w hidden", true)]
    [InlineData("powershell.exe nop w hidden", false)]
    public void Windash_varies_every_flag_of_a_command_line_independently(string value, bool expected)
    {
        var rule = Rule("sel:\n  CommandLine|windash|contains: ' -nop -w '\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("CommandLine", value)));
    }

    [Theory]
    [InlineData("set-item x", true)]
    [InlineData("set/item x", false)]
    [InlineData("set\u2013item x", false)]
    public void Windash_leaves_a_dash_inside_a_word_alone(string value, bool expected)
    {
        var rule = Rule("sel:\n  CommandLine|windash|contains: 'set-item'\ncondition: sel");
        Assert.Equal(expected, rule.Matches(Event("CommandLine", value)));
    }

    [Theory]
    // pySigma varies a dash or slash that follows a non-word character and precedes a word character (\B[-/]\b).
    [InlineData("'\"-nop'", "cmd \"/nop\"")]
    [InlineData("'(-nop'", "cmd (\u2014nop)")]
    [InlineData("'=-nop'", "cmd =\u2015nop")]
    public void Windash_varies_a_flag_that_follows_punctuation(string sigma, string value)
    {
        var rule = Rule($"sel:\n  CommandLine|windash|contains: {sigma}\ncondition: sel");
        Assert.True(rule.Matches(Event("CommandLine", value)));
    }

    [Fact]
    public void Windash_varies_only_dashes_that_start_a_word()
    {
        Assert.Equal(new HashSet<string> { "-x", "/x", "\u2013x", "\u2014x", "\u2015x" }, SigmaReader.Windash("-x").ToHashSet());
        // In "--x" only the second dash starts the word.
        Assert.Equal(new HashSet<string> { "--x", "-/x", "-\u2013x", "-\u2014x", "-\u2015x" }, SigmaReader.Windash("--x").ToHashSet());
        // A dash that is not followed by a word character, or sits inside a word, is not a flag.
        Assert.Equal(["a - b"], SigmaReader.Windash("a - b").ToArray());
        Assert.Equal(["a-b"], SigmaReader.Windash("a-b").ToArray());
    }

    [Fact]
    public void An_unknown_modifier_is_reported_at_its_key()
    {
        var load = LoadDetection("sel:\n  eventName: A\n  userAgent|contians: x\ncondition: sel");
        Assert.Empty(load.Rules);
        var d = Single(load, DiagnosticCodes.UnknownOperator);
        Assert.Equal(DiagnosticLevel.Error, d.Level);
        Assert.Equal(At(FirstDetectionLine + 2, 5), d.Span);
    }
}
