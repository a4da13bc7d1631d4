#!/usr/bin/env bash
# Login-detection benchmark: generates an RDS PostgreSQL connection log (RDS log_line_prefix) with normal
# application traffic and a brute force, then runs `moat scan --kind postgresql` over it and prints lines/s,
# peak memory and the findings per type.
#
#   benchmarks/logins.sh [LINES]      (default 4000000)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-4000000}"
OUT="bench-out"
mkdir -p "$OUT"
LOG="$OUT/pg-$LINES.log"
if [[ ! -f "$LOG" ]]; then
  python3 - "$LOG" "$LINES" <<'PY'
import sys, random, datetime as dt
path, target = sys.argv[1], int(sys.argv[2])
r = random.Random(3)
t = dt.datetime(2026, 1, 1, 0, 0, 0)
pid = 1000
n = 0
users = [("app", "orders-api", "10.0.1."), ("reporting", "metabase", "10.0.2."), ("etl", "airflow", "10.0.3.")]
with open(path, "w") as f:
    def w(line):
        global n
        f.write(line + "\n"); n += 1
    while n < target:
        t += dt.timedelta(milliseconds=r.randrange(100, 5000))
        ts = t.strftime("%Y-%m-%d %H:%M:%S UTC")
        pid += 1
        u, app, net = r.choice(users)
        ip = net + str(r.randrange(2, 40)); port = r.randrange(30000, 60000)
        attack = t.day >= 20 and r.random() < 0.002
        if attack:
            ip = "203.0.113." + str(r.randrange(1, 20))
        w(f"{ts}:{ip}({port}):[unknown]@[unknown]:[{pid}]:LOG:  connection received: host={ip} port={port}")
        if (attack and r.random() < 0.9) or r.random() < 0.01:
            w(f"{ts}:{ip}({port}):{u}@orders:[{pid}]:FATAL:  password authentication failed for user \"{u}\"")
            w(f"{ts}:{ip}({port}):{u}@orders:[{pid}]:DETAIL:  Password does not match for user \"{u}\".")
            w("\tConnection matched pg_hba.conf line 13: \"host all all 0.0.0.0/0 md5\"")
            continue
        w(f"{ts}:{ip}({port}):{u}@orders:[{pid}]:LOG:  connection authenticated: identity=\"{u}\" method=md5 (/rdsdbdata/config/pg_hba.conf:13)")
        w(f"{ts}:{ip}({port}):{u}@orders:[{pid}]:LOG:  connection authorized: user={u} database=orders application_name={app} SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)")
        w(f"{ts}:{ip}({port}):{u}@orders:[{pid}]:LOG:  disconnection: session time: 0:00:00.{r.randrange(100,999)} user={u} database=orders host={ip} port={port}")
PY
fi
dotnet publish src/Moat.Cli -c Release -o "$OUT/moat" -v quiet -nologo >/dev/null
lines=$(wc -l < "$LOG")
best=999999; rss=0
for run in 1 2 3; do
  rm -f "$OUT/logins-state.db"*
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$OUT/moat/moat" scan "$LOG" --kind postgresql --db-instance orders-db \
    --state "$OUT/logins-state.db" --format jsonl --quiet > "$OUT/login-findings.jsonl"
  read -r secs kb < "$OUT/time.txt"
  best=$(python3 -c "print(min($best, $secs))"); rss=$(( kb > rss ? kb : rss ))
done
python3 - "$OUT/login-findings.jsonl" "$lines" "$best" "$rss" "$(du -b "$LOG" | cut -f1)" <<'PY'
import sys, json, collections
c = collections.Counter(json.loads(l)["ruleId"] for l in open(sys.argv[1]))
lines, secs, kb, size = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"login detection: {lines:,} lines ({size/1e6:.0f} MB) in {secs:.2f} s = {lines/secs:,.0f} lines/s, peak RSS {kb/1024:.0f} MB")
for k, v in sorted(c.items()): print(f"  {k}: {v}")
PY
