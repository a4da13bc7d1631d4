namespace Moat.Tests.Support;

/// <summary>Locates the repository and the shared reference data from the test binaries.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Moat.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Moat.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Test data kept in the repository (third-party copies keep their licences beside them).</summary>
    public static string Data(params string[] parts) => System.IO.Path.Combine([Root, "tests", "Moat.Tests", "data", .. parts]);
}
