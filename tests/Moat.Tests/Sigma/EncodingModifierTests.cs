using System.Text;
using Moat.Rules;
using Moat.Rules.Sigma;
using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>base64, base64offset and the UTF-16 encodings (utf16le, utf16be, utf16, wide), alone and combined.</summary>
public sealed class EncodingModifierTests
{
    [Fact]
    public void Base64_matches_the_encoded_value()
    {
        // The specification's vector: cmd → Y21k.
        var rule = Rule("sel:\n  f|base64: cmd\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "Y21k")));
        Assert.False(rule.Matches(Event("f", "cmd")));
        Assert.False(rule.Matches(Event("f", "xY21k")));
    }

    [Fact]
    public void Base64_with_contains_finds_the_encoded_value_inside_a_longer_text()
    {
        var rule = Rule("sel:\n  f|base64|contains: cmd\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "prefix Y21k suffix")));
        Assert.False(rule.Matches(Event("f", "prefix cmd suffix")));
    }

    [Fact]
    public void Base64_values_may_not_contain_wildcards()
    {
        var load = LoadDetection("sel:\n  f|base64: 'cm*'\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Equal(At(FirstDetectionLine + 1, 15), Single(load, DiagnosticCodes.SigmaUnsupported).Span);
    }

    [Fact]
    public void Base64offset_gives_the_three_documented_variants_for_http()
    {
        // Sigma/pySigma documentation: http:// → aHR0cDovL, h0dHA6Ly, odHRwOi8v.
        Assert.Equal(["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"], SigmaReader.Base64Offsets(Encoding.UTF8.GetBytes("http://")).ToArray());
    }

    [Theory]
    [InlineData("aHR0cDovL")]
    [InlineData("h0dHA6Ly")]
    [InlineData("odHRwOi8v")]
    public void Base64offset_contains_matches_each_variant(string fragment)
    {
        var rule = Rule("sel:\n  f|base64offset|contains: 'http://'\ncondition: sel");
        Assert.True(rule.Matches(Event("f", "xx" + fragment + "yy")));
    }

    [Fact]
    public void Base64offset_finds_the_value_at_any_byte_offset_of_a_real_encoding()
    {
        var rule = Rule("sel:\n  f|base64offset|contains: 'http://'\ncondition: sel");
        foreach (var prefix in new[] { "", "a", "ab", "abc", "abcd", "curl " })
            foreach (var suffix in new[] { "", "x", "xy", "evil.example/p" })
            {
                var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + "http://" + suffix));
                Assert.True(rule.Matches(Event("f", encoded)), $"'{prefix}' + http:// + '{suffix}' = {encoded}");
            }
        Assert.False(rule.Matches(Event("f", Convert.ToBase64String(Encoding.UTF8.GetBytes("curl https://evil.example")))));
    }

    [Fact]
    public void Base64offset_values_may_not_contain_wildcards()
    {
        var load = LoadDetection("sel:\n  f|base64offset|contains: 'http*'\ncondition: sel");
        Assert.Empty(load.Rules);
        Assert.Single(load.Diagnostics, d => d.Code == DiagnosticCodes.SigmaUnsupported);
    }

    [Theory]
    // The specification's examples: cmd in UTF-16LE is 63 00 6d 00 64 00, UTF-16BE 00 63 00 6d 00 64, utf16 adds FF FE.
    [InlineData("utf16le", "YwBtAGQA")]
    [InlineData("wide", "YwBtAGQA")]
    [InlineData("utf16be", "AGMAbQBk")]
    [InlineData("utf16", "//5jAG0AZAA=")]
    public void Utf16_encodings_combine_with_base64(string encoding, string expected)
    {
        var rule = Rule($"sel:\n  f|{encoding}|base64: cmd\ncondition: sel");
        Assert.True(rule.Matches(Event("f", expected)));
        Assert.False(rule.Matches(Event("f", "Y21k")));
    }

    [Theory]
    [InlineData("utf16le")]
    [InlineData("wide")]
    public void Utf16le_with_base64offset_finds_the_value_at_any_offset(string encoding)
    {
        var rule = Rule($"sel:\n  f|{encoding}|base64offset|contains: 'Invoke-Expression'\ncondition: sel");
        foreach (var prefix in new[] { "", "a", "ab", "iex; " })
        {
            var encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(prefix + "Invoke-Expression (x)"));
            Assert.True(rule.Matches(Event("f", encoded)), prefix);
        }
        Assert.False(rule.Matches(Event("f", Convert.ToBase64String(Encoding.UTF8.GetBytes("Invoke-Expression (x)")))));
    }

    [Fact]
    public void Utf16be_with_base64offset_finds_the_value_at_any_offset()
    {
        var rule = Rule("sel:\n  f|utf16be|base64offset|contains: 'whoami'\ncondition: sel");
        foreach (var prefix in new[] { "", "a", "ab", "cmd /c " })
            Assert.True(rule.Matches(Event("f", Convert.ToBase64String(Encoding.BigEndianUnicode.GetBytes(prefix + "whoami /all")))), prefix);
        Assert.False(rule.Matches(Event("f", Convert.ToBase64String(Encoding.Unicode.GetBytes("whoami /all")))));
    }

    [Fact]
    public void Utf16_without_base64_matches_the_wide_text()
    {
        var rule = Rule("sel:\n  f|wide|contains: cmd\ncondition: sel");
        Assert.True(rule.Matches("""{"f": "x c\u0000m\u0000d\u0000 y"}"""));
        Assert.False(rule.Matches(Event("f", "x cmd y")));
    }
}
