#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: "N passed, N failed".
# Installs what the tests need when it is missing (nothing beyond the .NET SDK so far).
set -uo pipefail
cd "$(dirname "$0")"
RESULTS="$(pwd)/artifacts/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

dotnet test Moat.sln -c Release --logger "trx;LogFileName=moat.trx" --results-directory "$RESULTS" "$@"
status=$?

python3 - "$RESULTS" "$status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = 0
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is not None:
        passed += int(c.get("passed", 0))
        failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # the build or the test host failed before any test could report
print(f"{passed} passed, {failed} failed")
PY
exit $status
