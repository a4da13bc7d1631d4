namespace Moat.Logins;

/// <summary>
/// The <see cref="LoginEvent.Reason"/> texts the parsers write, one per cause, so detection can compare them
/// instead of reading log wording. Causes the parsers do not know keep the database's own message.
/// </summary>
public static class LoginReason
{
    // Failures: the database answered no.
    public const string PasswordFailed = "password authentication failed";
    public const string WrongPassword = "wrong password";
    public const string UnknownUser = "unknown user";
    public const string NoPassword = "no password assigned";
    public const string ExpiredPassword = "expired password";
    public const string NoHbaEntry = "no pg_hba.conf entry";
    public const string HbaRejects = "rejected by pg_hba.conf";
    public const string UnknownDatabase = "unknown database";
    public const string LoginNotPermitted = "login not permitted";
    public const string NoConnectPrivilege = "no CONNECT privilege";
    public const string TooManyConnections = "too many connections";
    public const string AccessDenied = "access denied";
    public const string DatabaseAccessDenied = "database access denied";
    public const string HostNotAllowed = "host not allowed";
    public const string HostBlocked = "host blocked";
    public const string AccountLocked = "account locked";

    // Incomplete: no answer either way.
    public const string NothingAfterConnect = "nothing after connection received";
    public const string InputEnded = "input ended before the login completed";
    public const string IncompleteStartupPacket = "incomplete startup packet";
    public const string InvalidStartupPacket = "invalid startup packet";
    public const string UnsupportedProtocol = "unsupported frontend protocol";
    public const string ConnectionLost = "connection lost during login";
    public const string SslFailed = "SSL negotiation failed";
    public const string AuthenticationTimeout = "authentication timeout";

    /// <summary>"PAM authentication failed", "LDAP authentication failed"...: the method's own failure.</summary>
    public static string MethodFailed(string method) => method + " authentication failed";
}
