using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>Keywords: field-less values searched, as substrings ignoring case, in every value of the event.</summary>
public sealed class KeywordSearchTests
{
    [Theory]
    [InlineData("""{"userAgent": "Some EVILSERVICE agent"}""", true)]
    [InlineData("""{"requestParameters": {"commands": ["id", "C:\\svchost.exe -n evil -x"]}}""", true)]
    [InlineData("""{"userAgent": "evilservic"}""", false)]
    [InlineData("""{"userAgent": "svchost.exe -n good"}""", false)]
    public void A_keyword_list_is_an_or_of_substring_searches_over_every_value(string json, bool expected)
    {
        var rule = Rule("keywords:\n  - 'EVILSERVICE'\n  - 'svchost.exe -n evil'\ncondition: keywords");
        Assert.Equal(expected, rule.Matches(json));
    }

    [Fact]
    public void A_keyword_is_found_ignoring_case_as_a_whole_value_too()
    {
        var rule = Rule("keywords:\n  - trufflehog\ncondition: keywords");
        Assert.True(rule.Matches(Event("userAgent", "TruffleHog")));
        Assert.True(rule.Matches(Event("userAgent", "trufflehog/3.63 (+https://x)")));
    }

    [Fact]
    public void Keywords_search_values_not_keys()
    {
        var rule = Rule("keywords:\n  - secretKey\ncondition: keywords");
        Assert.False(rule.Matches("""{"secretKey": "x", "nested": {"secretKey": null}}"""));
        Assert.True(rule.Matches("""{"nested": {"name": "my-secretkey-1"}}"""));
    }

    [Fact]
    public void Keywords_find_numbers_and_booleans_by_their_text()
    {
        var rule = Rule("keywords:\n  - '4625'\ncondition: keywords");
        Assert.True(rule.Matches("""{"errorCode": 14625}"""));
        Assert.False(rule.Matches("""{"errorCode": 4626}"""));
    }

    [Fact]
    public void All_keyword_map_needs_every_keyword_somewhere_in_the_event()
    {
        var rule = Rule("keywords_cmdlet:\n  '|all':\n    - 'OabVirtualDirectory'\n    - ' -ExternalUrl '\ncondition: keywords_cmdlet");
        Assert.True(rule.Matches("""{"a": "Set-OabVirtualDirectory", "b": {"c": "x -externalurl y"}}"""));
        Assert.True(rule.Matches("""{"a": "Set-OabVirtualDirectory -ExternalUrl http://x"}"""));
        Assert.False(rule.Matches("""{"a": "Set-OabVirtualDirectory"}"""));
        Assert.False(rule.Matches("""{"a": " -ExternalUrl "}"""));
    }

    [Theory]
    [InlineData("""{"a": "xx pwned-by-evil yy"}""", true)]
    [InlineData("""{"a": "PWNED by EVIL"}""", true)]
    [InlineData("""{"a": "evil pwned"}""", false)]
    public void Keywords_may_contain_wildcards(string json, bool expected)
    {
        var rule = Rule("keywords:\n  - 'pwned*evil'\ncondition: keywords");
        Assert.Equal(expected, rule.Matches(json));
    }

    [Fact]
    public void Keywords_and_field_selections_combine_in_the_condition()
    {
        var rule = Rule("sel:\n  eventSource: s3.amazonaws.com\nkeywords:\n  - 'exfil'\ncondition: sel and keywords");
        Assert.True(rule.Matches("""{"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "EXFIL-bucket"}}"""));
        Assert.False(rule.Matches("""{"eventSource": "ec2.amazonaws.com", "requestParameters": {"bucketName": "exfil-bucket"}}"""));
    }

    [Fact]
    public void Keyword_rules_go_through_the_literal_prefilter()
    {
        var rule = Rule("keywords:\n  - 'trufflehog'\ncondition: keywords");
        Assert.Null(rule.EventNames);
        Assert.NotNull(rule.Literals);
        Assert.Single(FindingsFor(rule, """{"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com", "userAgent": "TruffleHog/3"}"""));
        Assert.Empty(FindingsFor(rule, """{"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com", "userAgent": "aws-cli/2"}"""));
    }
}
