using static Moat.Tests.Rules.RuleFixture;

namespace Moat.Tests.Compile;

/// <summary>The canonical text of compiled conditions, compared exactly so any change in compilation shows.</summary>
public sealed class DescribeConditionTests
{
    [Fact]
    public void Describes_a_security_group_rule()
    {
        var rule = Rule("""
            all:
              - eventSource: ec2.amazonaws.com
              - eventName: [AuthorizeSecurityGroupIngress, ModifySecurityGroupRules]
              - errorCode: { null: true }
              - userAgent: { contains: console, ignore_case: true }
              - not:
                  sourceIPAddress: { cidr: [10.0.0.0/8, "fd00::/8"] }
              - any_item:
                  path: requestParameters.ipPermissions.items
                  as: perm
                  where:
                    all:
                      - ipRanges.items.cidrIp|ipv6Ranges.items.cidrIpv6: { covers_all_addresses: true }
                      - port_range: { protocol: ipProtocol, from: fromPort, to: toPort, covers_any: [22, 3389] }
                      - $.awsRegion: { regex: "^us-" }
            """);
        Assert.Equal(
            "all(eventSource{== ec2.amazonaws.com}, eventName{in [AuthorizeSecurityGroupIngress, ModifySecurityGroupRules]}, errorCode{null true}, "
            + "userAgent{contains [console] (ignore case)}, not(sourceIPAddress{cidr [10.0.0.0/8, fd00::/8]}), "
            + "any_item(requestParameters.ipPermissions.items as perm: all(ipRanges.items.cidrIp|ipv6Ranges.items.cidrIpv6{covers_all_addresses true}, "
            + "port_range(ipProtocol, fromPort..toPort covers [22,3389]), $.awsRegion{regex [^us-]})))",
            rule.DescribeCondition());
    }

    [Fact]
    public void Describes_comparisons_presence_and_the_other_quantifiers()
    {
        var rule = Rule("""
            eventName: { in: [A], ignore_case: true }
            any:
              - port: { gte: 1024, lt: 2048.5 }
              - name: { startswith: [a, b], endswith: z, exists: true }
            all_items: { path: items, where: { v: { exists: false, null: false } } }
            no_item:
              path: items
              where:
                not: { w: "5432" }
            """);
        Assert.Equal(
            "all(eventName{== A (ignore case)}, any(port{gte 1024, lt 2048.5}, name{exists true, startswith [a, b], endswith [z]}), "
            + "all_item(items: v{exists false, null false}), none_item(items: not(w{== 5432})))",
            rule.DescribeCondition());
    }

    [Fact]
    public void A_single_test_is_not_wrapped_in_all()
    {
        Assert.Equal("eventName{== A}", Rule("eventName: A").DescribeCondition());
        Assert.Equal("all(eventName{== A})", Rule("all: [ { eventName: A } ]").DescribeCondition());
    }
}
