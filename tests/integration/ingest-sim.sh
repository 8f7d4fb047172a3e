#!/bin/sh
# ingest-sim.sh - the simulator through twin-ingest: determinism, limits,
# time selection, and replay round trips (plain, gzip, f32le, capture,
# spool) that must give the same bytes.
T=$(mktemp -d /tmp/twin-ingest-sim.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "${3:-failed}"; fi; }

spec='sim:seed=3&duration=3h&block=1h&assets=P-101,P-103,M-101,F-201'
twin-ingest -T acme "$spec" > "$T/a" 2> "$T/a.err"
check "sim exits 0, quietly" '[ $? -eq 0 ] && [ ! -s "$T/a.err" ]'
twin-ingest -T acme "$spec" > "$T/b"
check "same seed, same bytes" 'cmp -s "$T/a" "$T/b"'
twin-ingest -T acme "$(echo "$spec" | sed 's/seed=3/seed=4/')" > "$T/c"
check "another seed differs" '! cmp -s "$T/a" "$T/c" &&
    [ "$(wc -l < "$T/a")" -eq "$(wc -l < "$T/c")" ]'
# 3 h of minutes: 5 + 5 + 4 + 5 scalars; 3 blocks for 3 assets.
n=$(wc -l < "$T/a")
check "record count" '[ "$n" -eq $((180 * 19 + 9)) ]' "got $n"

n=$(twin-ingest -T acme -c 7 "$spec" | wc -l)
check "-c 7" '[ "$n" -eq 7 ]' "got $n"
twin-ingest -T acme --since 2026-11-01T00:10:00Z --until 2026-11-01T00:20:00Z \
    "$spec" > "$T/w"
n=$(wc -l < "$T/w")
first=$(head -1 "$T/w" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
last=$(tail -1 "$T/w" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
check "--since and --until select [since, until)" '[ "$n" -eq $((10 * 19)) ] &&
    [ "$first" = "2026-11-01T00:10:00.000Z" ] &&
    [ "$last" = "2026-11-01T00:19:00.000Z" ]' "$n $first $last"

twin-ingest --rate 1e9 "$T/a" > "$T/rate"
check "a paced replay writes the same bytes" 'cmp -s "$T/a" "$T/rate"'
twin-ingest --live "$T/a" > "$T/live"
check "--live writes the same bytes" 'cmp -s "$T/a" "$T/live"'
twin-ingest "$T/a" > "$T/r1"
check "replay of a plain capture is byte-identical" 'cmp -s "$T/a" "$T/r1"'
gzip -c "$T/a" > "$T/a.gz"
twin-ingest -T acme "file:$T/a.gz" > "$T/r2"
check "replay of a gzip capture is byte-identical" 'cmp -s "$T/a" "$T/r2"'
twin-ingest -T acme - < "$T/a.gz" > "$T/r3"
check "replay of compressed stdin is byte-identical" 'cmp -s "$T/a" "$T/r3"'

twin-ingest -T acme 'sim:duration=2h&enc=f32le&axes=xy&assets=P-102' > "$T/f"
twin-ingest -T acme "$T/f" > "$T/rf"
check "f32le blocks replay byte-identical" 'cmp -s "$T/f" "$T/rf" &&
    grep -q "\"enc\":\"f32le\"" "$T/f"'

twin-ingest -T acme --capture "$T/cap" --capture-size 64K "$spec" > "$T/o" \
    2> "$T/cap.err"
nseg=$(ls "$T/cap" | grep -c '\.ndjson\.gz$')
check "capture rotates segments" '[ "$nseg" -gt 2 ]' "$nseg segments"
check "output with capture is unchanged" 'cmp -s "$T/a" "$T/o"'
twin-ingest "file:$T/cap" > "$T/rc"
check "sim -> capture -> replay is byte-identical" 'cmp -s "$T/a" "$T/rc"'
(cd "$T/cap" && tar -cf "$T/cap.tar" $(ls))
twin-ingest "$T/cap.tar" > "$T/rt"
check "capture in a tar replays byte-identical" 'cmp -s "$T/a" "$T/rt"'

twin-ingest -q -T acme --spool "$T/spool" "$spec" > "$T/s" 2> "$T/s.err"
check "through the spool, byte-identical" 'cmp -s "$T/a" "$T/s" &&
    [ ! -s "$T/s.err" ]'
twin-ingest -T acme --spool "$T/spool" -c 0 > "$T/s2" 2> "$T/s2.err" < /dev/null
check "spool fully committed: nothing redelivered" '[ ! -s "$T/s2" ]'

if [ -x "$TOP/bin/twin-map" ] && [ -f "$TOP/examples/plant1/tagmap.json" ]; then
	twin-ingest -T acme 'sim:duration=2h&axes=xy' |
	    twin-map -T acme -m "$TOP/examples/plant1/tagmap.json" \
	    > "$T/m" 2> "$T/m.err"
	rc=$?
	n1=$(twin-ingest -T acme 'sim:duration=2h&axes=xy' | wc -l)
	n2=$(wc -l < "$T/m")
	check "every simulated tag maps with examples/plant1/tagmap.json" \
	    '[ $rc -eq 0 ] && [ "$n1" -eq "$n2" ] && [ ! -s "$T/m.err" ] &&
	    ! grep -q out_of_range "$T/m"' "rc $rc, $n1 -> $n2: $(head -2 "$T/m.err")"
else
	echo "skip - sim tags map: twin-map or the example tag map missing"
fi
exit 0
