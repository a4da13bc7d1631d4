using static Moat.Tests.Sigma.SigmaFixture;

namespace Moat.Tests.Sigma;

/// <summary>fieldref: compare a field with another field of the same event.</summary>
public sealed class FieldrefModifierTests
{
    [Theory]
    [InlineData("""{"requestParameters": {"userName": "alice"}, "userIdentity": {"userName": "alice"}}""", true)]
    [InlineData("""{"requestParameters": {"userName": "Alice"}, "userIdentity": {"userName": "ALICE"}}""", true)]
    [InlineData("""{"requestParameters": {"userName": "alice"}, "userIdentity": {"userName": "bob"}}""", false)]
    [InlineData("""{"requestParameters": {"userName": "alice"}}""", false)]
    [InlineData("""{"userIdentity": {"userName": "alice"}}""", false)]
    public void Fieldref_is_equality_with_the_other_field_ignoring_case(string json, bool expected)
    {
        var rule = Rule("sel:\n  requestParameters.userName|fieldref: userIdentity.userName\ncondition: sel");
        Assert.Equal(expected, rule.Matches(json));
    }

    [Fact]
    public void Cased_fieldref_is_case_sensitive()
    {
        var rule = Rule("sel:\n  a|fieldref|cased: b\ncondition: sel");
        Assert.True(rule.Matches("""{"a": "Alice", "b": "Alice"}"""));
        Assert.False(rule.Matches("""{"a": "Alice", "b": "alice"}"""));
    }

    [Theory]
    [InlineData("contains", "arn:aws:iam::1:user/Bob/x", true)]
    [InlineData("contains", "arn:aws:iam::1:user/alice", false)]
    [InlineData("startswith", "BOB-admin", true)]
    [InlineData("startswith", "admin-bob", false)]
    [InlineData("endswith", "arn:aws:iam::1:user/bob", true)]
    [InlineData("endswith", "bob-admin", false)]
    public void Fieldref_combines_with_contains_startswith_and_endswith(string modifier, string value, bool expected)
    {
        var rule = Rule($"sel:\n  a|fieldref|{modifier}: b\ncondition: sel");
        var json = "{\"a\": \"" + value + "\", \"b\": \"bob\"}";
        Assert.Equal(expected, rule.Matches(json));
    }

    [Theory]
    [InlineData("""{"a": "alice", "b": "bob"}""", true)]
    [InlineData("""{"a": "alice", "b": "ALICE"}""", false)]
    [InlineData("""{"a": "alice"}""", true)]
    public void Fieldref_with_neq_is_inequality(string json, bool expected)
    {
        var rule = Rule("sel:\n  a|fieldref|neq: b\ncondition: sel");
        Assert.Equal(expected, rule.Matches(json));
    }

    [Fact]
    public void Fieldref_compares_numbers_and_booleans_as_text()
    {
        var rule = Rule("sel:\n  a|fieldref: b\ncondition: sel");
        Assert.True(rule.Matches("""{"a": 42, "b": "42"}"""));
        Assert.True(rule.Matches("""{"a": true, "b": "TRUE"}"""));
    }

    [Fact]
    public void Fieldref_matches_when_any_value_of_an_array_equals()
    {
        var rule = Rule("sel:\n  a|fieldref: b\ncondition: sel");
        Assert.True(rule.Matches("""{"a": ["x", "bob"], "b": "Bob"}"""));
        Assert.True(rule.Matches("""{"a": "bob", "b": ["x", "BOB"]}"""));
        Assert.False(rule.Matches("""{"a": ["x", "y"], "b": "bob"}"""));
    }
}
