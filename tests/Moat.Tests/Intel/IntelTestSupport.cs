using System.IO.Compression;
using System.Text;
using Moat.Read;
using Moat.Tests.Read;

namespace Moat.Tests.Intel;

internal static class IntelFiles
{
    public static InputFile Text(TempDir dir, string name, string text) => Bytes(dir, name, Encoding.UTF8.GetBytes(text));

    public static InputFile Gzip(TempDir dir, string name, string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Encoding.UTF8.GetBytes(text));
        return Bytes(dir, name, buffer.ToArray());
    }

    public static InputFile Bytes(TempDir dir, string name, byte[] bytes) => dir.Input(name, bytes);

    /// <summary>The line numbers of the errors, for asserting which lines were reported.</summary>
    public static long?[] Lines(IEnumerable<ReadError> errors) => [.. errors.Select(e => e.Line)];
}
