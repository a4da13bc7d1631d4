#!/usr/bin/env bash
# End-to-end throughput benchmark: moat scan vs. zcat|jq on the same generated CloudTrail corpus.
#
#   benchmarks/throughput.sh [EVENTS]        (default 400000)
#   MOAT_BENCH_STATE=1 benchmarks/throughput.sh   also runs with --state (alerts, activity index) on a fresh
#                                                 state file and prints the cost and the file size
#   MOAT_BENCH_SIGMA=1 benchmarks/throughput.sh   also runs with the 57 SigmaHQ AWS rules, and with 1,000
#                                                 generated Sigma rules on top of them
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

if [[ "${MOAT_BENCH_STATE:-0}" == "1" ]]; then
  best_state=999999
  for run in 1 2 3; do
    rm -f "$OUT/state.db"*
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$OUT/moat/moat" scan "$CORPUS/AWSLogs" --state "$OUT/state.db" --format jsonl --quiet > /dev/null || [[ $? -le 1 ]]
    read -r secs kb < "$OUT/time.txt"
    best_state=$(python3 -c "print(min($best_state, $secs))")
  done
  size=$(cat "$OUT/state.db"* | wc -c)
  python3 -c "print(f'moat scan --state: {$best_state:6.2f} s  {$EVENTS / $best_state:>10,.0f} events/s  ({($best_state / $best_moat - 1) * 100:.0f}% slower than without state); state file {$size / 1e6:.1f} MB = {$size / 1e6 / $EVENTS * 1e6:.0f} MB per million events')"
fi

if [[ "${MOAT_BENCH_SIGMA:-0}" == "1" ]]; then
  python3 - "$OUT/sigma-1000" <<'PY'
import os, random, sys, uuid
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
r = random.Random(7)
services = {"ec2": ["RunInstances", "TerminateInstances", "CreateVolume", "DeleteVolume", "CreateSnapshot", "ModifyInstanceAttribute", "CreateKeyPair", "ImportKeyPair", "CreateVpc", "DeleteVpc"],
            "iam": ["CreateUser", "DeleteUser", "CreateRole", "PutRolePolicy", "AttachRolePolicy", "CreatePolicyVersion", "UpdateAssumeRolePolicy", "CreateGroup", "AddUserToGroup", "DeleteRolePolicy"],
            "s3": ["PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl", "PutBucketPublicAccessBlock", "DeleteBucket", "PutBucketVersioning", "PutBucketLogging", "PutLifecycleConfiguration", "PutBucketCors"],
            "rds": ["ModifyDBInstance", "CreateDBSnapshot", "DeleteDBInstance", "RebootDBInstance", "ModifyDBCluster", "CreateDBCluster", "StopDBInstance", "StartDBInstance", "CopyDBSnapshot", "RestoreDBClusterFromSnapshot"],
            "kms": ["DisableKey", "ScheduleKeyDeletion", "CreateGrant", "PutKeyPolicy", "CreateKey", "EnableKeyRotation", "DisableKeyRotation", "RetireGrant", "RevokeGrant", "ImportKeyMaterial"]}
for i in range(1000):
    svc = r.choice(list(services)); names = r.sample(services[svc], r.randint(1, 3))
    extra = r.choice(["", "\n        userAgent|contains: 'python'", "\n        sourceIPAddress|startswith: '203.0.113.'", "\n        userIdentity.type: 'Root'"])
    filt = r.random() < 0.3
    with open(f"{out}/gen_{i:04d}.yml", "w") as f:
        f.write(f"""title: Generated rule {i}
id: {uuid.UUID(int=r.getrandbits(128))}
author: benchmark
level: {r.choice(['low','medium','high'])}
logsource: {{ product: aws, service: cloudtrail }}
detection:
    selection:
        eventSource: {svc}.amazonaws.com
        eventName: [{', '.join(names)}]{extra}
    filter:
        errorCode: 'AccessDenied'
    condition: selection{' and not filter' if filt else ''}
""")
PY
  for label in "sigma57:--rules tests/Moat.Tests/data/sigma/rules" "sigma57+1000:--rules tests/Moat.Tests/data/sigma/rules --rules $OUT/sigma-1000"; do
    name="${label%%:*}"; args="${label#*:}"
    best=999999
    for run in 1 2 3; do
      /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$OUT/moat/moat" scan "$CORPUS/AWSLogs" $args --format jsonl --quiet > "$OUT/findings-$name.jsonl" || [[ $? -le 1 ]]
      read -r secs kb < "$OUT/time.txt"
      best=$(python3 -c "print(min($best, $secs))")
    done
    rules=$("$OUT/moat/moat" rules list $args --format jsonl 2>/dev/null | wc -l)
    python3 -c "print(f'moat scan with $name ({$rules} rules): {$best:6.2f} s  {$EVENTS / $best:>10,.0f} events/s  {$best_jq / $best:.1f}x jq  peak RSS {$kb / 1024:.0f} MB')"
  done
fi

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
