#!/bin/sh
# ingest-csv.sh - CSV exports through twin-ingest: wide and long layouts,
# compressed CSV, a C-MAPSS-shaped fixture, and the real C-MAPSS FD001
# training file when ../shared/data is there, each value checked against
# an independent Python reading of the same file.
T=$(mktemp -d /tmp/twin-ingest-csv.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "${3:-failed}"; fi; }
PY=/usr/bin/python3
CMAPSS_COLS=unit,cycle,op1,op2,op3,T2,T24,T30,T50,P2,P15,P30,Nf,Nc,epr,Ps30,phi,NRf,NRc,BPR,farB,htBleed,Nf_dmd,PCNfR_dmd,W31,W32

# compare CSV-FILE NDJSON-FILE MODE: rebuild the expected (tag, ts, v)
# triples from the CSV in Python and compare them with the records.
compare() {
	$PY - "$@" <<'PY'
import json, sys, datetime
csvf, nd, mode = sys.argv[1], sys.argv[2], sys.argv[3]
cols = "unit,cycle,op1,op2,op3,T2,T24,T30,T50,P2,P15,P30,Nf,Nc,epr,Ps30,phi,NRf,NRc,BPR,farB,htBleed,Nf_dmd,PCNfR_dmd,W31,W32".split(",")
t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
want = []
for line in open(csvf):
    f = line.split()
    if not f:
        continue
    if mode == "cmapss":
        ts = t0 + datetime.timedelta(hours=int(f[1]))
        for name, cell in zip(cols[2:], f[2:]):
            want.append(("cmapss/unit%s/%s" % (f[0], name),
                         ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), float(cell)))
got = []
for line in open(nd):
    r = json.loads(line)
    assert r["kind"] == "raw" and r["tenant"] == "acme"
    got.append((r["tag"], r["ts"], r["v"]))
seqs = [json.loads(l)["seq"] for l in open(nd)]
if seqs != list(range(1, len(seqs) + 1)):
    print("seq is not 1..n"); sys.exit(1)
if got != want:
    bad = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b) \
        if len(got) == len(want) else -1
    print("mismatch: %d records vs %d expected; first difference at %d"
          % (len(got), len(want), bad)); sys.exit(1)
print(len(got))
PY
}

cat > wide.csv <<'CSV'
timestamp,Plant1/Line1/Pump01/FLOW,Plant1/Line1/Pump01/BRG_TEMP_DE
2026-11-01T00:00:00Z,80.5,41.2
2026-11-01T00:01:00Z,,41.3
2026-11-01T00:02:00Z,81.25,41.25
CSV
twin-ingest -T acme csv:wide.csv > out 2> err
check "wide csv: one record per cell, empty cells skipped" '[ $? -eq 0 ] &&
    [ "$(wc -l < out)" -eq 5 ] && [ ! -s err ] &&
    [ "$(sed -n 3p out)" = "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:01:00.000Z\",\"tenant\":\"acme\",\"src\":\"csv:wide.csv\",\"seq\":3,\"tag\":\"Plant1/Line1/Pump01/BRG_TEMP_DE\",\"v\":41.3}" ]' \
    "$(sed -n 3p out) $(cat err)"
gzip -c wide.csv > wide.csv.gz
twin-ingest -T acme csv:wide.csv.gz | sed 's/wide.csv.gz/wide.csv/' > out2
check "compressed csv gives the same records" 'cmp -s out out2'
twin-ingest -T acme --since 2026-11-01T00:01:00Z csv:wide.csv > out3
check "--since on csv" '[ "$(wc -l < out3)" -eq 3 ]'

printf 'tag;time;value\nA;1793491200;1,5\nB;1793491260;2\n' > long.csv
twin-ingest -T acme --layout long --delim ';' --time-format epoch_s \
    csv:long.csv > out 2> err
rc=$?
check "long csv: a decimal comma is a bad number, with its position" \
    '[ $rc -eq 1 ] && [ "$(wc -l < out)" -eq 1 ] &&
    [ "$(cat err)" = "twin-ingest: long.csv:2: bad number '"'"'1,5'"'"'" ]' \
    "status $rc: $(cat err)"

# A C-MAPSS-shaped fixture: blank-separated, two trailing blanks, no
# header, unit and cycle columns.
$PY - <<'PY'
import random
random.seed(5)
with open("fd.txt", "w") as f:
    for unit in (1, 2, 10):
        for cycle in range(1, 31 + unit):
            vals = [random.uniform(-1, 1) for _ in range(3)] + \
                   [random.uniform(0, 3000) for _ in range(21)]
            f.write("%d %d " % (unit, cycle) +
                    " ".join("%.4f" % v for v in vals) + "  \n")
PY
cmapss() {
	twin-ingest -T acme --delim space --columns "$CMAPSS_COLS" \
	    --time-col cycle --time-format counter --start 2026-01-01 \
	    --step 1h --tag 'cmapss/unit{unit}/{col}' "csv:$1"
}
cmapss fd.txt > fd.ndjson 2> err
n=$(compare fd.txt fd.ndjson cmapss)
check "C-MAPSS-shaped fixture: every value, tag and time" \
    '[ ! -s err ] && [ "$n" = "$(( (31 + 32 + 40) * 24 ))" ]' "$n $(cat err)"

D="$TOP/../shared/data/cmapss/train_FD001.txt"
if [ -f "$D" ]; then
	cmapss "$D" > real.ndjson 2> err
	rc=$?
	n=$(compare "$D" real.ndjson cmapss)
	check "C-MAPSS train_FD001: 20631 rows x 24 values, all equal" \
	    '[ $rc -eq 0 ] && [ ! -s err ] && [ "$n" = 495144 ]' "status $rc: $n"
	# The last cycle of engine 1 is 192 (its run to failure).
	last=$(grep -F '"tag":"cmapss/unit1/W32"' real.ndjson | tail -1)
	check "C-MAPSS unit 1 ends at cycle 192" \
	    'echo "$last" | grep -q "\"ts\":\"2026-01-09T00:00:00.000Z\""' "$last"
else
	echo "skip - C-MAPSS train_FD001: ../shared/data is absent"
fi
exit 0
