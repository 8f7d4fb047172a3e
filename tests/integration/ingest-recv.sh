#!/bin/sh
# ingest-recv.sh - --recv stamps receipt time once, before capture: the
# capture replays the stamped records byte for byte; a record that already
# has recv keeps it.
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf '%s\n' '{"kind":"raw","ts":"2026-11-21T10:00:00Z","tenant":"acme","src":"x","seq":1,"tag":"a","v":1}' \
    '{"kind":"raw","ts":"2026-11-21T10:00:01Z","tenant":"acme","src":"x","seq":2,"tag":"a","v":2,"recv":"2026-11-21T10:00:02.000Z"}' > "$d/in"
twin-ingest -q -T acme --recv --capture "$d/cap" "$d/in" > "$d/out" || echo "not ok - recv: exit $?"
n=$(grep -c '"recv":"[0-9-]*T[0-9:.]*Z"}$' "$d/out")
[ "$n" = 2 ] && echo "ok - recv: every record carries an RFC 3339 receipt time" ||
    echo "not ok - recv: $n of 2 records stamped"
grep -q '"v":2,"recv":"2026-11-21T10:00:02.000Z"}$' "$d/out" &&
    echo "ok - recv: an existing recv is kept, not repeated" ||
    echo "not ok - recv: existing recv changed"
twin-ingest -q -T acme "$d/cap" > "$d/replay"
cmp -s "$d/out" "$d/replay" && echo "ok - recv: the capture replays the stamped records byte for byte" ||
    echo "not ok - recv: replay differs"
twin-ingest -q -T acme "$d/in" | grep -c recv | grep -qx 1 &&
    echo "ok - recv: off by default" || echo "not ok - recv: stamped without --recv"
