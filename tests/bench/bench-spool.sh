#!/bin/sh
# bench-spool.sh - store-and-forward cost: twin-ingest with and without
# --spool on the same replay, against cat (the floor) and a Python loop
# doing the same work (frame + CRC append, read back, commit with fsync).
#
# fsync policy measured (lib/spool.h): every append is write(2)n before it
# returns; the segment is fdatasync(2)ed every --fsync-every appends (0:
# only at commit and rotation) and at each commit; a commit appends 32
# bytes to the commit log and fdatasyncs it.  twin-ingest commits every
# 4096 records when replaying, after every record with --live.
#
# Crash-loss window: a killed process loses no appended record; a power
# loss or kernel crash loses at most the appends since the last fdatasync
# (fsync-every - 1, or up to a commit interval with 0); redelivery after
# any crash is at most the records in flight since the last commit.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ING="$TOP/bin/twin-ingest"
B=${BENCH_DIR:-$(mktemp -d /tmp/twin-bench.XXXXXX)}/spool
N=${SPOOL_BENCH_N:-1000000}
SMALL=${SPOOL_BENCH_SMALL:-5000}
rm -rf "$B"
mkdir -p "$B"
# Figures go to fd 3, the script's stdout, whatever a command's is.
exec 3>&1

now() {
	date +%s.%N
}

# timed NAME RECORDS BYTES CMD... - run CMD, print wall time, records/s,
# MB/s and CPU seconds (user + system, when /usr/bin/time is there: the
# rest of the wall time is mostly waiting for fdatasync); sets $took.
timed() {
	_name=$1 _n=$2 _bytes=$3
	shift 3
	: > "$B/cpu"
	t0=$(now)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S" -o "$B/cpu" "$@"
	else
		"$@"
	fi
	t1=$(now)
	cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$B/cpu")
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { t = b - a;
	    if (t <= 0) t = 1e-9; print t }')
	awk -v name="$_name" -v n="$_n" -v bytes="$_bytes" -v t="$took" \
	    -v cpu="${cpu:-?}" 'BEGIN {
	    printf "   %-42s %7.3f s %10.0f rec/s %7.1f MB/s  cpu %s s\n",
	    name, t, n / t, bytes / t / 1e6, cpu }' >&3
}

# A scalar raw record per line, 1 ms apart.
python3 - "$B/in.ndjson" "$N" <<'EOF'
import sys
out, n = sys.argv[1], int(sys.argv[2])
with open(out, "w") as f:
    for i in range(1, n + 1):
        s, ms = divmod(i, 1000)
        f.write('{"kind":"raw","ts":"2026-11-21T%02d:%02d:%02d.%03dZ",'
                '"tenant":"acme","src":"sim:plant1","seq":%d,'
                '"tag":"Plant1/Line2/Pump03/TT_%d","v":%d.25}\n'
                % (s // 3600 % 24, s // 60 % 60, s % 60, ms, i, i % 50,
                   i % 997))
EOF
head -n "$SMALL" "$B/in.ndjson" > "$B/small.ndjson"
bytes=$(wc -c < "$B/in.ndjson")
sbytes=$(wc -c < "$B/small.ndjson")
echo "   $N scalar raw records, $bytes bytes; fsync tests on $SMALL"

timed "cat (floor)" "$N" "$bytes" cat "$B/in.ndjson" > /dev/null
floor=$took
timed "twin-ingest, no spool" "$N" "$bytes" \
    "$ING" -q file:"$B/in.ndjson" > /dev/null
nospool=$took nospool_cpu=$cpu
timed "twin-ingest --spool (commit/4096)" "$N" "$bytes" \
    "$ING" -q -T acme --spool "$B/s1" file:"$B/in.ndjson" > "$B/out1"
spool=$took spool_cpu=$cpu
cmp -s "$B/in.ndjson" "$B/out1" || echo "   (spool output differs!)"
timed "twin-ingest --spool --fsync-every 1000" "$N" "$bytes" \
    "$ING" -q -T acme --spool "$B/s2" --fsync-every 1000 \
    file:"$B/in.ndjson" > /dev/null
timed "twin-ingest --spool --fsync-every 1" "$SMALL" "$sbytes" \
    "$ING" -q -T acme --spool "$B/s3" --fsync-every 1 \
    file:"$B/small.ndjson" > /dev/null
timed "twin-ingest --spool --live (commit/record)" "$SMALL" "$sbytes" \
    "$ING" -q -T acme --spool "$B/s4" --live file:"$B/small.ndjson" \
    > /dev/null

# The same store-and-forward work in Python: frame with CRC-32, append,
# read back, write out, commit (append + fdatasync) every 4096.
cat > "$B/spool.py" <<'EOF'
import os, struct, sys, zlib
src, d = sys.argv[1], sys.argv[2]
os.makedirs(d, 0o700)
seg = open(os.path.join(d, "seg"), "ab", buffering=0)
rd = open(os.path.join(d, "seg"), "rb", buffering=0)
log = open(os.path.join(d, "commit"), "ab", buffering=0)
out = sys.stdout.buffer
pos, n = 0, 0
with open(src, "rb") as f:
    for line in f:
        rec = line[:-1]
        seg.write(struct.pack("<II", len(rec), zlib.crc32(rec)) + rec)
        hdr = os.pread(rd.fileno(), 8, pos)
        ln, crc = struct.unpack("<II", hdr)
        body = os.pread(rd.fileno(), ln, pos + 8)
        if zlib.crc32(body) != crc:
            raise SystemExit("bad crc")
        out.write(body + b"\n")
        pos += 8 + ln
        n += 1
        if n % 4096 == 0:
            out.flush()
            os.fdatasync(seg.fileno())
            log.write(struct.pack("<Q", pos))
            os.fdatasync(log.fileno())
out.flush()
EOF
timed "python3 equivalent (commit/4096)" "$N" "$bytes" \
    python3 "$B/spool.py" "$B/in.ndjson" "$B/py" > /dev/null
py=$took

awk -v f="$floor" -v n="$nospool" -v s="$spool" -v p="$py" 'BEGIN {
	printf "   spool overhead: %.2fx twin-ingest without spool, " \
	    "%.1fx cat; python3 takes %.1fx the spool\n", s / n, s / f, p / s }'
echo "   cpu: ${spool_cpu:-?} s with the spool, ${nospool_cpu:-?} s without;" \
    "the rest of the wall time waits for fdatasync"
echo "   crash-loss window: kill -9 loses 0 appended records;" \
    "power loss at most the appends since the last fdatasync"
rm -rf "$B"
