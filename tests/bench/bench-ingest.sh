#!/bin/sh
# bench-ingest.sh - replay throughput of twin-ingest on a gzip capture of
# scalar records (10 million by default) and of vibration blocks, against
# `zcat | cat` on the same file (the floor: decompression and a pipe) and
# an equivalent Python replay (parse each line with json, check the
# fields, write the line).  Target: within 3x of the zcat floor.
#   BENCH_INGEST_N     scalar records (default 10000000)
#   BENCH_INGEST_BLOCKS vibration blocks of 12800 samples (default 2000)
: "${BENCH_DIR:=$(mktemp -d /tmp/twin-bench.XXXXXX)}"
N=${BENCH_INGEST_N:-10000000}
NB=${BENCH_INGEST_BLOCKS:-2000}
D="$BENCH_DIR/ingest"
mkdir -p "$D"
PY=/usr/bin/python3

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cat > "$D/replay.py" <<'PY'
import json, sys, gzip
out = sys.stdout.buffer
with gzip.open(sys.argv[1], "rb") as f:
    for line in f:
        r = json.loads(line)
        if r.get("tenant") != "acme" or "ts" not in r or "kind" not in r:
            raise SystemExit("bad record")
        if r["kind"] == "raw" and not ("src" in r and "seq" in r and
                                       "tag" in r and "v" in r):
            raise SystemExit("bad raw record")
        out.write(line)
PY

# bench NAME FILE UNITS UNIT-NAME
bench() {
	name=$1 f=$2 units=$3 what=$4
	t0=$(now); zcat "$f" | cat > /dev/null; t1=$(now)
	z=$(secs "$t0" "$t1")
	t0=$(now); twin-ingest -T acme "$f" | cat > /dev/null; t1=$(now)
	i=$(secs "$t0" "$t1")
	t0=$(now); twin-ingest -T acme "$f" | cmp -s - "$D/plain"; ok=$?; t1=$(now)
	t0=$(now); $PY "$D/replay.py" "$f" | cat > /dev/null; t1=$(now)
	p=$(secs "$t0" "$t1")
	echo "$name: $(ls -l "$f" | awk '{ printf "%.1f MB", $5 / 1e6 }') compressed, $units $what"
	echo "   zcat | cat     ${z}s  $(rate "$units" "$z") $what/s"
	echo "   twin-ingest    ${i}s  $(rate "$units" "$i") $what/s  ($(ratio "$i" "$z")x the zcat floor; target <= 3x)"
	echo "   python replay  ${p}s  $(rate "$units" "$p") $what/s  (twin-ingest is $(ratio "$p" "$i")x faster)"
	[ $ok -eq 0 ] || echo "   WARNING: replay output differs from the capture"
}

echo "generating $N scalar records"
twin-ingest -T acme -c "$N" 'sim:duration=400d&block=off' > "$D/plain"
gzip -1 -c "$D/plain" > "$D/scalars.ndjson.gz"
bench "scalar records" "$D/scalars.ndjson.gz" "$N" records

echo "generating $NB vibration blocks"
twin-ingest -T acme -c "$NB" 'sim:duration=400d&scalar=off&block=1m&assets=P-101,P-103,M-101,M-103' > "$D/plain"
gzip -1 -c "$D/plain" > "$D/blocks.ndjson.gz"
bench "vibration blocks (12800 samples each)" "$D/blocks.ndjson.gz" "$((NB * 12800))" samples

twin-ingest -T acme -c "$NB" 'sim:duration=400d&scalar=off&block=1m&enc=f32le&assets=P-101,P-103,M-101,M-103' > "$D/plain"
gzip -1 -c "$D/plain" > "$D/f32.ndjson.gz"
bench "vibration blocks, f32le" "$D/f32.ndjson.gz" "$((NB * 12800))" samples

t0=$(now); twin-ingest -T acme 'sim:duration=30d' | cat > /dev/null; t1=$(now)
echo "simulator: 30 days of the example plant in $(secs "$t0" "$t1")s"
rm -rf "$D"
