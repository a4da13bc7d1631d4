using Moat.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>The eventName/eventSource pins a rule is indexed under, taken only where they cannot be negated.</summary>
public sealed class IndexKeyTests
{
    [Fact]
    public void Takes_names_and_sources_from_the_top_level_all()
    {
        var rule = Rule("""
            all:
              - eventSource: ec2.amazonaws.com
              - eventName: [AuthorizeSecurityGroupIngress, ModifySecurityGroupRules]
              - errorCode: { null: true }
            """);
        Assert.Equal(["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"], rule.EventNames!);
        Assert.Equal(["ec2.amazonaws.com"], rule.EventSources!);
    }

    [Fact]
    public void Takes_a_single_pin_that_is_the_whole_condition()
    {
        var rule = Rule("eventName: CreateUser");
        Assert.Equal(["CreateUser"], rule.EventNames!);
        Assert.Null(rule.EventSources);
    }

    [Fact]
    public void Takes_pins_from_a_mapping_with_several_keys()
    {
        var rule = Rule("""
            eventSource: iam.amazonaws.com
            eventName: { in: [CreateUser, DeleteUser] }
            """);
        Assert.Equal(["CreateUser", "DeleteUser"], rule.EventNames!);
        Assert.Equal(["iam.amazonaws.com"], rule.EventSources!);
    }

    [Fact]
    public void Takes_an_explicit_equals_list()
    {
        Assert.Equal(["A", "B"], Rule("eventName: { equals: [A, B] }").EventNames!);
    }

    [Theory]
    [InlineData("not: { eventName: A }")]
    [InlineData("any: [ { eventName: A }, { userAgent: B } ]")]
    [InlineData("eventName: { startswith: Create }")]
    [InlineData("eventName|eventType: A")]
    [InlineData("eventSource: iam.amazonaws.com")]
    [InlineData("any_item: { path: records, where: { eventName: A } }")]
    public void Warns_when_the_condition_does_not_pin_event_name(string condition)
    {
        var load = LoadCondition(condition);
        var d = Single(load, DiagnosticCodes.NotIndexed);
        Assert.Equal(DiagnosticLevel.Warning, d.Level);
        Assert.Equal(6, d.Span.Line);
        var rule = Assert.Single(load.Rules);
        Assert.Null(rule.EventNames);
    }

    [Theory]
    [InlineData("any: [ { eventName: A }, { eventName: B } ]", new[] { "A", "B" })]
    [InlineData("all: [ { any: [ { eventName: A } ] } ]", new[] { "A" })]
    [InlineData("eventName: { equals: A, ignore_case: true }", new[] { "A" })]
    [InlineData("all: [ { all: [ { eventName: [A, B] } ] }, { userAgent: x } ]", new[] { "A", "B" })]
    public void Pins_event_names_through_nested_all_any_branches_and_ignore_case(string condition, string[] names)
    {
        var rule = Assert.Single(LoadCondition(condition).Rules);
        Assert.Equal(names, rule.EventNames!);
    }

    [Fact]
    public void An_unpinned_rule_without_a_required_text_still_sees_every_event()
    {
        var rule = Assert.Single(LoadCondition("userAgent: { regex: \"a|b\" }").Rules);
        var index = new Moat.Evaluate.RuleIndex([rule]);
        Assert.Equal([rule], index.Unindexed);
    }

    [Fact]
    public void An_unpinned_rule_with_a_required_text_is_offered_only_events_containing_it()
    {
        var rule = Assert.Single(LoadCondition("userAgent: { contains: curl }").Rules);
        Assert.Equal(["curl"], rule.Literals!);
        var index = new Moat.Evaluate.RuleIndex([rule]);
        Assert.Empty(index.Unindexed);
        var found = new List<Moat.Compile.CompiledRule>();
        index.PrefilteredCandidates("""{"userAgent":"CURL/8.1"}"""u8, found);
        Assert.Equal([rule], found);
        found.Clear();
        index.PrefilteredCandidates("""{"userAgent":"aws-cli/2"}"""u8, found);
        Assert.Empty(found);
    }

    [Fact]
    public void The_index_offers_a_rule_only_for_its_names_and_sources()
    {
        var rule = Rule("""
            eventSource: ec2.amazonaws.com
            eventName: [A, B]
            """);
        var index = new Moat.Evaluate.RuleIndex([rule]);
        var found = new List<Moat.Compile.CompiledRule>();
        index.Candidates("ec2.amazonaws.com"u8, "B"u8, found);
        Assert.Equal([rule], found);
        index.Candidates("ec2.amazonaws.com"u8, "C"u8, found);
        Assert.Empty(found);
        index.Candidates("iam.amazonaws.com"u8, "A"u8, found);
        Assert.Empty(found);
        // Names compare without case (Sigma is case-insensitive); the rule's own equality test still decides.
        index.Candidates("EC2.amazonaws.com"u8, "a"u8, found);
        Assert.Equal([rule], found);
    }
}
