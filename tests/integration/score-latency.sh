#!/bin/sh
# score-latency.sh - when twin-score -l writes a row's score, as
# twin-score(1) says under Rows: at once when every model feature has a
# value of the row's window end, else when the asset's next window
# arrives.  The input stays open; an event record sent after the feature
# records comes back when they have been taken, so each check reads the
# output at a known point of the input without relying on time.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
PY=/usr/bin/python3
GEN="$TOP/tests/integration/score-fleet.py"
tmp=$(mktemp -d /tmp/twin-latency.XXXXXX)
pid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
R="$tmp/reg"

check() {
	name=$1
	shift
	if "$@"; then echo "ok - latency: $name"
	else echo "not ok - latency: $name"; fi
}

$PY "$GEN" gen --weeks 5 --no-faults --seed 41 > "$tmp/hist" || exit 1
twin-retrain -q -r "$R" -C "$TOP/examples/plant1/classes" \
    -P "$TOP/examples/plant1/policy.json" train "$tmp/hist" > /dev/null
[ -f "$R/acme/production" ] || { echo "not ok - latency: no model"; exit 0; }
# the fan F-201: five channels, all on the same 30-minute windows
$PY "$GEN" gen --weeks 0.1 --no-faults --seed 42 --assets F-201 \
    --start 2026-10-06T00:00:00 | grep '"kind":"feature"' > "$tmp/f201"
w1=2026-10-06T00:30:00.000Z
w2=2026-10-06T01:00:00.000Z
w3=2026-10-06T01:30:00.000Z

mkfifo "$tmp/in"
twin-score -q -l -r "$R" -T acme -d 0 < "$tmp/in" > "$tmp/out" 2>&1 &
pid=$!
exec 3> "$tmp/in"
nmark=0
# mark: send an event record and wait (at most a minute) until it is out
mark() {
	nmark=$((nmark + 1))
	printf '{"kind":"event","ts":"%s","tenant":"acme","mark":%d}\n' \
	    "$w1" "$nmark" >&3
	i=0
	while ! grep -q "\"mark\":$nmark}" "$tmp/out" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
scored() { grep -q "\"kind\":\"score\",\"ts\":\"$1\"" "$tmp/out"; }

# 1. every channel of the window ending at w1: scored at once
grep "\"ts\":\"$w1\"" "$tmp/f201" >&3
mark
check "a row whose features all end at its time is scored at once" scored "$w1"

# 2. the window ending at w2 without its power record: power is carried
# forward from w1, and the row waits
grep "\"ts\":\"$w2\"" "$tmp/f201" | grep -v '"channel":"power"' >&3
mark
check "a row that carries a value forward is not scored yet" sh -c \
    "! grep -q '\"kind\":\"score\",\"ts\":\"$w2\"' '$tmp/out'"

# 3. the asset's next window (its first record) closes the row at w2
grep "\"ts\":\"$w3\"" "$tmp/f201" | head -1 >&3
mark
check "the asset's next window closes the waiting row" scored "$w2"
check "the row's carried feature is not flagged missing" sh -c \
    "grep '\"kind\":\"score\",\"ts\":\"$w2\"' '$tmp/out' |
    grep -q '\"flags\":\[\]'"
check "the next window's row waits for its other channels" sh -c \
    "! grep -q '\"kind\":\"score\",\"ts\":\"$w3\"' '$tmp/out'"

# 4. end of input: the open row is scored
exec 3>&-
wait "$pid"
rc=$?
pid=
check "the end of the input scores the open row (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && grep -q '\"kind\":\"score\",\"ts\":\"$w3\"' '$tmp/out'"
exit 0
