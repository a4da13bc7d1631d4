#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: "N passed, N failed".
# Installs what the tests need when it is missing: beyond the .NET SDK, PostgreSQL and MariaDB, which the
# login tests (tests/Moat.Tests/Logins/RealServers) start on their own ports in temporary folders.
set -uo pipefail
cd "$(dirname "$0")"
RESULTS="$(pwd)/artifacts/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# Installs PostgreSQL and MariaDB (server with the server_audit plugin, and client) from Debian's packages
# when any of their programs is missing. Quiet unless it has to install; returns non-zero when it cannot.
ensure_database_servers() {
    local missing=()
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(initdb)
    command -v psql >/dev/null || missing+=(psql)
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadbd)
    command -v mariadb-install-db >/dev/null || missing+=(mariadb-install-db)
    command -v mariadb >/dev/null || missing+=(mariadb)
    [ -e /usr/lib/mysql/plugin/server_audit.so ] || missing+=(server_audit.so)
    [ ${#missing[@]} -eq 0 ] && return 0

    echo "test.sh: installing postgresql mariadb-server mariadb-client for the login tests (missing: ${missing[*]})" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            echo "test.sh: cannot install them: not root and no password-less sudo." >&2
            echo "test.sh: install them yourself: apt-get install postgresql mariadb-server mariadb-client" >&2
            return 1
        fi
    fi
    local log policy=/usr/sbin/policy-rc.d added_policy=0 ok=0
    log="$(mktemp)"
    # The packages would start system-wide servers; the tests start their own, so keep those from starting.
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && added_policy=1
    fi
    if $sudo apt-get update -qq >"$log" 2>&1 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            postgresql mariadb-server mariadb-client >>"$log" 2>&1; then
        ok=1
    fi
    [ "$added_policy" -eq 1 ] && $sudo rm -f "$policy"
    if [ "$ok" -ne 1 ]; then
        echo "test.sh: apt-get could not install postgresql mariadb-server mariadb-client; its last output:" >&2
        tail -n 30 "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

if ! ensure_database_servers; then
    echo "test.sh: the database servers the login tests need are missing; not running the tests." >&2
    echo "0 passed, 1 failed"
    exit 1
fi

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
