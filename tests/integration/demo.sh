#!/bin/sh
# demo.sh - make demo's promise: the whole pipeline on the example plant
# opens exactly one work order, for P-103's outer-race defect, delivered
# once to the CMMS stand-in through an outage, and a re-run adds nothing.
d=$(mktemp -d /tmp/twin-demo-test.XXXXXX)
trap 'rm -rf "$d"' EXIT
if ! [ -x "$TOP/tests/node_modules/.bin/json-server" ]; then
	echo "not ok - demo: json-server missing (make deps)"
	exit 0
fi
if ! DEMO_DIR="$d" sh "$TOP/examples/demo.sh" > "$d/out" 2> "$d/err"; then
	echo "not ok - demo: examples/demo.sh failed: $(tail -3 "$d/err" | tr '\n' ' ')"
	exit 0
fi
echo "ok - demo runs to the end"
db="$d/cmms/db.json"
n=$(jq '.workorders | length' "$db")
[ "$n" = 1 ] && echo "ok - demo: the CMMS holds exactly one work order" ||
    echo "not ok - demo: the CMMS holds $n work orders"
got=$(jq -r '.workorders[0] | "\(.asset) \(.mode) \(.status)"' "$db")
[ "$got" = "P-103 bearing_outer_race open" ] &&
    echo "ok - demo: it is P-103's outer-race defect" ||
    echo "not ok - demo: the work order is '$got'"
opened=$(jq -r 'select(.kind == "workorder" and .event == "open") | .asset' \
    "$d/workorders.ndjson" | sort | tr '\n' ' ')
[ "$opened" = "P-103 " ] && echo "ok - demo: no healthy asset gets a work order" ||
    echo "not ok - demo: work orders opened for: $opened"
grep -q "outbox now holds 0" "$d/out" &&
    echo "ok - demo: the outbox is empty after the flush" ||
    echo "not ok - demo: outbox not drained"
grep -q "re-run over the same scores: 0 new" "$d/out" &&
    echo "ok - demo: a re-run opens nothing new" ||
    echo "not ok - demo: the re-run sent work order events"
