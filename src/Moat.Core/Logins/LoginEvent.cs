namespace Moat.Logins;

public enum LoginOutcome
{
    /// <summary>The database accepted the login (PostgreSQL "connection authorized", MySQL CONNECT).</summary>
    Success,

    /// <summary>The database refused it: wrong password, unknown user or database, host rules (FATAL, FAILED_CONNECT).</summary>
    Failure,

    /// <summary>A connection that neither authenticated nor failed: a probe, a port scan, a login abandoned midway.</summary>
    Incomplete,
}

/// <summary>
/// One login attempt against a database, whatever log it came from. This is what login detection learns from
/// and judges; parsers turn PostgreSQL and MySQL-family log lines into these.
/// </summary>
public sealed record LoginEvent(
    DateTimeOffset Time,
    string Database,
    string? Cluster,
    string Engine,
    string? User,
    string? DatabaseName,
    string? Application,
    string? Ssl,
    string? AuthMethod,
    string RemoteIp,
    int? RemotePort,
    LoginOutcome Outcome,
    string? Reason,
    string Source,
    long Line,
    string Identity)
{
    /// <summary>True for connections Moat leaves out by default: the RDS management user and local sockets.</summary>
    public bool Internal { get; init; }
}

/// <summary>Which kind of log an input holds, decided from its content (or <c>--kind</c>).</summary>
public enum LogKind
{
    Unknown,
    CloudTrail,
    PostgreSql,
    MySqlAudit,
}
