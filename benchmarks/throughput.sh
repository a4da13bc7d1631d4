#!/usr/bin/env bash
# End-to-end throughput benchmark: moat scan vs. zcat|jq on the same generated CloudTrail corpus.
#
#   benchmarks/throughput.sh [EVENTS]        (default 400000)
#
# Generates a deterministic corpus in the S3 delivery layout with ../shared/bench/gen_cloudtrail.py (or
# $MOAT_GEN), publishes moat in Release, runs `moat scan` with every built-in rule loaded and the jq filter
# `.Records[] | select(.eventName=="AuthorizeSecurityGroupIngress")`, and prints events/s for both, the
# ratio, moat's peak memory, and whether moat found exactly the exposures the generator planted.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${1:-400000}"
OUT="bench-out"
GEN="${MOAT_GEN:-../shared/bench/gen_cloudtrail.py}"
CORPUS="$OUT/corpus-$EVENTS"
mkdir -p "$OUT"

for tool in jq python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "benchmark needs $tool (apt-get install -y jq time python3)" >&2; exit 2; }
done

if [[ ! -f "$CORPUS/counts.json" ]]; then
  rm -rf "$CORPUS"
  echo "generating $EVENTS events into $CORPUS ..." >&2
  python3 "$GEN" "$CORPUS" --events "$EVENTS" > "$CORPUS.counts.tmp"
  mv "$CORPUS.counts.tmp" "$CORPUS/counts.json"
fi
echo "publishing moat (Release) ..." >&2
dotnet publish src/Moat.Cli -c Release -o "$OUT/moat" -v quiet -nologo >/dev/null

SIZE=$(du -sb "$CORPUS/AWSLogs" | cut -f1)
echo "corpus: $EVENTS events, $(find "$CORPUS/AWSLogs" -name '*.json.gz' | wc -l) files, $((SIZE / 1000000)) MB gzip" >&2

# Warm the page cache so both tools read from memory.
cat $(find "$CORPUS/AWSLogs" -name '*.json.gz') > /dev/null

best_moat=999999; rss=0
for run in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$OUT/moat/moat" scan "$CORPUS/AWSLogs" --format jsonl --quiet > "$OUT/findings.jsonl" || [[ $? -le 1 ]]
  read -r secs kb < "$OUT/time.txt"
  best_moat=$(python3 -c "print(min($best_moat, $secs))")
  rss=$(( kb > rss ? kb : rss ))
done

best_jq=999999
for run in 1 2 3; do
  start=$(date +%s.%N)
  find "$CORPUS/AWSLogs" -name '*.json.gz' -print0 | sort -z | xargs -0 zcat \
    | jq -c '.Records[] | select(.eventName=="AuthorizeSecurityGroupIngress")' > "$OUT/jq.jsonl"
  end=$(date +%s.%N)
  best_jq=$(python3 -c "print(min($best_jq, $end - $start))")
done

python3 - "$CORPUS/counts.json" "$OUT/findings.jsonl" "$EVENTS" "$best_moat" "$best_jq" "$rss" <<'PY'
import json, sys, collections
counts = json.load(open(sys.argv[1]))
found = collections.Counter(json.loads(l)["ruleId"] for l in open(sys.argv[2]))
events, moat_s, jq_s, rss_kb = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
expect = {
    "AWS.EC2.SecurityGroupDatabasePortOpenToWorld": counts["db_port_open_world"],
    "AWS.EC2.SecurityGroupAdminPortOpenToWorld": counts["admin_port_open_world"],
    "AWS.RDS.SecurityGroupIngressAuthorized": counts["rds_sg_ingress"],
}
print(f"moat scan : {moat_s:6.2f} s  {events / moat_s:>10,.0f} events/s  peak RSS {rss_kb / 1024:.0f} MB")
print(f"zcat | jq : {jq_s:6.2f} s  {events / jq_s:>10,.0f} events/s")
print(f"ratio     : {jq_s / moat_s:.1f}x jq's throughput")
ok = True
for rule, n in expect.items():
    got = found.get(rule, 0)
    ok &= got == n
    print(f"{rule:48s} planted {n:6d}  found {got:6d}  {'ok' if got == n else 'MISMATCH'}")
extra = {r: n for r, n in found.items() if r not in expect}
if extra:
    print("other findings:", extra)
print("exact planted counts:", "yes" if ok else "NO")
sys.exit(0 if ok else 1)
PY
