using Moat.Emit;
using Moat.Logins;
using Moat.Read;

namespace Moat.Scan;

public sealed record LoginScanTotals(int Inputs, long Lines, long Events, long Processed, long AlreadySeen, long InternalSkipped, int UnreadableInputs);

/// <summary>
/// Login detection over database logs: each input is read (kind and database identity from its content) and its
/// login events are fed, in input order, to one <see cref="LoginDetector"/>, which puts them back in time order
/// per database, judges them against the stored profiles and saves the profiles at the end.
/// </summary>
public sealed class LoginScan(IProfileStore store, ILoginIntel intel, LoginReadOptions readOptions, LoginDetectionOptions detectOptions)
{
    /// <summary>
    /// Runs detection. <paramref name="beforeSave"/> sees the findings before the profiles are saved: findings
    /// kept there survive a kill that would otherwise mark their lines processed with the findings lost.
    /// </summary>
    public (List<Finding> Findings, LoginScanTotals Totals) Run(IReadOnlyList<InputFile> inputs, Action<LoginReadResult>? onInput = null, Action<List<Finding>>? beforeSave = null)
    {
        var detector = new LoginDetector(store, intel, detectOptions);
        var reader = new LoginLogReader(readOptions);
        long lines = 0, events = 0;
        int unreadable = 0;
        foreach (var input in inputs)
        {
            long before = 0;
            var r = reader.Read(input, e =>
            {
                before++;
                detector.Add(e);
            });
            lines += r.Lines;
            events += before;
            if (r.Errors.Count > 0 || !r.Complete) unreadable++;
            onInput?.Invoke(r);
        }
        var findings = detector.Finish(saveProfiles: false);
        beforeSave?.Invoke(findings);
        detector.SaveProfiles();
        return (findings, new LoginScanTotals(inputs.Count, lines, events, detector.Processed, detector.AlreadySeen, detector.InternalSkipped, unreadable));
    }
}
