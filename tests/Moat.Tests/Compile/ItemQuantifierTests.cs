using Moat.Tests.Rules;
using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>any_item / all_items / no_item: conditions that must hold for the same element.</summary>
public sealed class ItemQuantifierTests
{
    private const string WorldOpenOn5432 = """
        any_item:
          path: perms
          where:
            all:
              - cidrIp: 0.0.0.0/0
              - port: 5432
        """;

    private const string OpenHttpsBesidePrivatePostgres = """
        {"perms": [
          {"cidrIp": "0.0.0.0/0", "port": 443},
          {"cidrIp": "10.0.0.0/8", "port": 5432}
        ]}
        """;

    [Fact]
    public void Any_item_needs_every_condition_to_hold_for_the_same_item()
    {
        Assert.False(Rule(WorldOpenOn5432).Matches(OpenHttpsBesidePrivatePostgres));
    }

    [Fact]
    public void Flat_field_tests_do_not_correlate_across_items()
    {
        // The reason any_item exists: the same two tests written flat match values from different items.
        var flat = Rule("""
            all:
              - perms.cidrIp: 0.0.0.0/0
              - perms.port: 5432
            """);
        Assert.True(flat.Matches(OpenHttpsBesidePrivatePostgres));
    }

    [Fact]
    public void Any_item_matches_when_one_item_satisfies_everything()
    {
        var rule = Rule(WorldOpenOn5432);
        Assert.True(rule.Matches("""{"perms": [{"cidrIp": "10.0.0.0/8", "port": 5432}, {"cidrIp": "0.0.0.0/0", "port": 5432}]}"""));
    }

    [Fact]
    public void Any_item_is_false_on_an_empty_or_missing_list()
    {
        var rule = Rule(WorldOpenOn5432);
        Assert.False(rule.Matches("""{"perms": []}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void An_object_at_the_item_path_is_a_single_item()
    {
        var rule = Rule(WorldOpenOn5432);
        Assert.True(rule.Matches("""{"perms": {"cidrIp": "0.0.0.0/0", "port": 5432}}"""));
    }

    [Fact]
    public void The_item_path_walks_through_arrays_on_its_way()
    {
        var rule = Rule("""
            any_item:
              path: groups.perms
              where: { cidrIp: 0.0.0.0/0, port: 22 }
            """);
        Assert.True(rule.Matches("""{"groups": [{"perms": [{"cidrIp": "10.0.0.0/8", "port": 22}]}, {"perms": [{"cidrIp": "0.0.0.0/0", "port": 22}]}]}"""));
        Assert.False(rule.Matches("""{"groups": [{"perms": [{"cidrIp": "10.0.0.0/8", "port": 22}]}, {"perms": [{"cidrIp": "0.0.0.0/0", "port": 80}]}]}"""));
    }

    [Fact]
    public void All_items_is_false_on_an_empty_or_missing_list()
    {
        var rule = Rule("all_items: { path: perms, where: { port: 22 } }");
        Assert.False(rule.Matches("""{"perms": []}"""));
        Assert.False(rule.Matches("""{}"""));
    }

    [Fact]
    public void All_items_needs_every_item_to_satisfy_the_condition()
    {
        var rule = Rule("all_items: { path: perms, where: { port: 22 } }");
        Assert.True(rule.Matches("""{"perms": [{"port": 22}, {"port": 22}]}"""));
        Assert.False(rule.Matches("""{"perms": [{"port": 22}, {"port": 80}]}"""));
    }

    [Fact]
    public void No_item_is_true_when_no_item_satisfies_the_condition()
    {
        var rule = Rule("no_item: { path: perms, where: { cidrIp: 0.0.0.0/0, port: 5432 } }");
        Assert.True(rule.Matches("""{"perms": []}"""));
        Assert.True(rule.Matches("""{}"""));
        Assert.True(rule.Matches(OpenHttpsBesidePrivatePostgres));
        Assert.False(rule.Matches("""{"perms": [{"cidrIp": "0.0.0.0/0", "port": 5432}]}"""));
    }

    [Fact]
    public void Inside_where_plain_paths_are_relative_to_the_item()
    {
        var rule = Rule("any_item: { path: perms, where: { eventName: A } }");
        Assert.False(rule.Matches("""{"eventName": "A", "perms": [{"port": 22}]}"""));
        Assert.True(rule.Matches("""{"eventName": "B", "perms": [{"eventName": "A"}]}"""));
    }

    [Fact]
    public void Root_paths_inside_where_read_the_event()
    {
        var rule = Rule("""
            any_item:
              path: perms
              where:
                all:
                  - port: 22
                  - $.awsRegion: us-east-1
            """);
        Assert.True(rule.Matches("""{"awsRegion": "us-east-1", "perms": [{"port": 22}]}"""));
        Assert.False(rule.Matches("""{"awsRegion": "eu-west-1", "perms": [{"port": 22}]}"""));
        Assert.False(rule.Matches("""{"awsRegion": "us-east-1", "perms": [{"port": 80, "awsRegion": "us-east-1"}]}"""));
    }

    [Fact]
    public void Root_paths_reach_the_event_from_nested_items()
    {
        var rule = Rule("""
            any_item:
              path: groups
              where:
                any_item:
                  path: perms
                  where: { port: 22, $.owner: me }
            """);
        Assert.True(rule.Matches("""{"owner": "me", "groups": [{"perms": [{"port": 22}]}]}"""));
        Assert.False(rule.Matches("""{"owner": "you", "groups": [{"owner": "me", "perms": [{"port": 22}]}]}"""));
    }

    [Fact]
    public void Item_paths_may_start_at_the_root_from_inside_another_item()
    {
        var rule = Rule("""
            any_item:
              path: perms
              where:
                all:
                  - port: 22
                  - any_item: { path: $.allowed, where: { cidr: 0.0.0.0/0 } }
            """);
        Assert.True(rule.Matches("""{"perms": [{"port": 22}], "allowed": [{"cidr": "0.0.0.0/0"}]}"""));
        Assert.False(rule.Matches("""{"perms": [{"port": 22, "allowed": [{"cidr": "0.0.0.0/0"}]}]}"""));
    }

    [Fact]
    public void Not_around_any_item_is_the_same_as_no_item()
    {
        var not = Rule("not: { any_item: { path: perms, where: { port: 22 } } }");
        var none = Rule("no_item: { path: perms, where: { port: 22 } }");
        foreach (var json in new[] { """{}""", """{"perms": []}""", """{"perms": [{"port": 22}]}""", """{"perms": [{"port": 80}]}""" })
            Assert.Equal(none.Matches(json), not.Matches(json));
    }

    [Fact]
    public void Tests_inside_where_find_nothing_in_an_item_that_is_a_plain_value()
    {
        var rule = Rule("any_item: { path: tags, where: { name: prod } }");
        Assert.False(rule.Matches("""{"tags": ["prod"]}"""));
    }
}
