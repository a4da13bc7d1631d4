using Moat.Logins;
using Moat.Tests.Support;

namespace Moat.Tests.Logins;

/// <summary>Feeds lines to a parser the way the reader does: numbered from 1, then <c>Finish()</c>.</summary>
internal static class Feed
{
    public const string Source = "postgresql.log";
    public const string Database = "prod-db-1";

    public static PostgresLogParser Postgres(params string[] lines) => Postgres(TimeSpan.FromSeconds(60), lines);

    public static PostgresLogParser Postgres(TimeSpan timeout, params string[] lines)
    {
        var parser = new PostgresLogParser(Source, Database, null, timeout);
        All(parser, lines);
        return parser;
    }

    public static MySqlAuditParser MySql(params string[] lines)
    {
        var parser = new MySqlAuditParser("audit.log", Database, null);
        All(parser, lines);
        return parser;
    }

    /// <summary>Lines may hold several log lines joined by \n, as a multi-line PostgreSQL message is written.</summary>
    public static void All(ILoginLogParser parser, string[] lines)
    {
        long n = 0;
        foreach (var text in lines)
        {
            foreach (var line in text.Split('\n')) parser.Feed(line, ++n);
        }
        parser.Finish();
    }

    public static LoginEvent Single(ILoginLogParser parser)
    {
        Assert.Empty(parser.Errors);
        return Assert.Single(parser.Events);
    }

    public static string Fixture(string name) => Repo.Path("tests", "Moat.Tests", "data", "logins", name);
}
