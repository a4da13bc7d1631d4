using System.Globalization;
using System.Text;
using System.Text.Json;
using Moat.Rules;

namespace Moat.Testing;

/// <summary>
/// Turns a test event written in YAML into JSON the way a reader expects: plain <c>22</c> is a number,
/// <c>"22"</c> a string, plain <c>true</c> a boolean, <c>null</c>/<c>~</c> null. A quoted or block text is
/// taken as JSON as it stands, so events can also be pasted verbatim from CloudTrail.
/// </summary>
public static class YamlJson
{
    public static byte[]? ToJson(YValue value, out string? error)
    {
        error = null;
        if (value is YScalar { Quoted: true } text)
        {
            var bytes = Encoding.UTF8.GetBytes(text.Value);
            try
            {
                using var _ = JsonDocument.Parse(bytes);
                return bytes;
            }
            catch (JsonException e)
            {
                error = "the event text is not valid JSON: " + e.Message;
                return null;
            }
        }
        if (value is not YMapping)
        {
            error = "the event must be a mapping (or a JSON text)";
            return null;
        }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
            Write(w, value);
        return ms.ToArray();
    }

    private static void Write(Utf8JsonWriter w, YValue v)
    {
        switch (v)
        {
            case YMapping m:
                w.WriteStartObject();
                foreach (var (k, val) in m.Entries)
                {
                    w.WritePropertyName(k.Value);
                    Write(w, val);
                }
                w.WriteEndObject();
                break;
            case YSequence s:
                w.WriteStartArray();
                foreach (var i in s.Items) Write(w, i);
                w.WriteEndArray();
                break;
            case YScalar sc:
                if (sc.Quoted) w.WriteStringValue(sc.Value);
                else if (sc.IsNull) w.WriteNullValue();
                else if (sc.Value is "true" or "false") w.WriteBooleanValue(sc.Value == "true");
                else if (IsJsonNumber(sc.Value)) w.WriteRawValue(sc.Value);
                else w.WriteStringValue(sc.Value);
                break;
        }
    }

    private static bool IsJsonNumber(string s)
    {
        if (s.Length == 0 || s.Length > 40) return false;
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out _)) return false;
        // JSON forbids leading zeros ("0123"), a bare leading '+' or '.', and a '.' without a digit after it ("5.", "1.e5").
        var t = s.StartsWith('-') ? s[1..] : s;
        if (t.Length == 0 || !char.IsAsciiDigit(t[0])) return false;
        if (t.Length > 1 && t[0] == '0' && char.IsAsciiDigit(t[1])) return false;
        int dot = t.IndexOf('.');
        return dot < 0 || (dot + 1 < t.Length && char.IsAsciiDigit(t[dot + 1]));
    }
}
