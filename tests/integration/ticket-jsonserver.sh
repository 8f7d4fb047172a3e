#!/bin/sh
# ticket-jsonserver.sh - twin-ticket against json-server (npm), the CMMS
# stand-in of the demo, with the example template: each episode's work
# order is created once, updated, escalated and closed; runs again over
# the same scores, with or without the state, create nothing new; an
# outcome recorded in the CMMS comes back as a label.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
H="$TOP/tests/integration/cmms_faulty.py"
W=$(mktemp -d /tmp/twin-ticket-js.XXXXXX)
trap '[ -f "$W/cmms/pid" ] && kill "$(cat "$W/cmms/pid")" 2>/dev/null; rm -rf "$W"' EXIT

if [ ! -x "$TOP/tests/node_modules/.bin/json-server" ]; then
	echo "skip - ticket-jsonserver: json-server not installed (make deps)"
	exit 0
fi
if ! URL=$("$TOP/examples/cmms-standin" "$W/cmms"); then
	echo "not ok - ticket-jsonserver: the stand-in did not start"
	exit 0
fi

cat > "$W/policy.json" <<'EOF2'
{"tenant":"acme","classes":"classes","enter":0.8,"exit":0.6,"persist":"1h",
 "clear":"2h","rearm":"6h","deescalate":"1h"}
EOF2
cp -r "$TOP/examples/plant1/classes" "$W/classes" 2>/dev/null
python3 "$H" gen --asset P-103 "0.3x3,0.85x8,0.97x3,0.85x8,0.3x16" > "$W/scores"
python3 "$H" gen --asset F-201 --class fan --mode imbalance "0.9x10" >> "$W/scores"

ticket() {
	twin-ticket -q -p "$W/policy.json" -u "$URL" \
	    -t "$TOP/examples/cmms/json-server.json" --timeout 5s "$@"
}

ticket -d "$W/d" "$W/scores" > "$W/out" 2> "$W/err"
rc=$?
curl -s "$URL/workorders" > "$W/db1"
if python3 - "$W/db1" "$W/out" <<'EOF2'
import json, sys
db = json.load(open(sys.argv[1]))
out = [json.loads(l) for l in open(sys.argv[2])]
keys = sorted({w["key"] for w in out})
if sorted(w["id"] for w in db) != keys or len(keys) != 2:
    sys.exit("ids %s, keys %s" % ([w["id"][:8] for w in db], keys))
p = [w for w in db if w["asset"] == "P-103"][0]
f = [w for w in db if w["asset"] == "F-201"][0]
# P-103: opened at warning (2), escalated to alarm (1), back to 2, closed.
if p["status"] != "closed" or p["last_event"] != "close" or p["priority"] != 2:
    sys.exit("P-103: %s %s %s" % (p["status"], p["last_event"], p["priority"]))
if "bearing" not in p["title"] or p["parts"] == [] or "env_bpfo" not in p["description"]:
    sys.exit("P-103: no library entry or evidence: %s" % p["title"])
if f["status"] != "open" or f["last_event"] != "open" or f["mode"] != "imbalance":
    sys.exit("F-201: %s %s" % (f["status"], f["last_event"]))
EOF2
then
	if [ $rc -eq 0 ]; then
		echo "ok - ticket-jsonserver: two work orders created, escalated, updated and closed as the records say"
	else
		echo "not ok - ticket-jsonserver: exit $rc: $(head -2 "$W/err")"
	fi
else
	echo "not ok - ticket-jsonserver: CMMS content wrong (exit $rc)"
fi

# Same scores, same state: nothing new.  Same scores, state lost: the
# lookup by key finds the work orders, nothing is created twice.
ticket -d "$W/d" "$W/scores" > "$W/out2" 2> "$W/err"
rc2=$?
ticket -d "$W/d2" "$W/scores" > "$W/out3" 2> "$W/err3"
rc3=$?
curl -s "$URL/workorders" > "$W/db2"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/db2")
if [ $rc2 -eq 0 ] && [ ! -s "$W/out2" ] && [ $rc3 -eq 0 ] && [ "$n" -eq 2 ] &&
    cmp -s "$W/out" "$W/out3"; then
	echo "ok - ticket-jsonserver: reruns with and without the state create nothing twice"
else
	echo "not ok - ticket-jsonserver: reruns: exit $rc2/$rc3, $n work orders: $(head -2 "$W/err3")"
fi
# Feedback from the CMMS: a technician records the outcome on the work
# order; --feedback with -u reads it back as a label.
key=$(grep '"asset":"P-103"' "$W/out" | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
curl -s -X PATCH -H 'Content-Type: application/json' \
    -d '{"outcome":"Confirmed","outcome_ts":"2026-12-24T08:00:00Z","outcome_mode":"bearing_outer_race","outcome_note":"spall 4 mm"}' \
    "$URL/workorders/$key" > /dev/null
twin-ticket --feedback -T acme -u "$URL" \
    -t "$TOP/examples/cmms/json-server.json" > "$W/labels" 2> "$W/err"
rc=$?
if [ $rc -eq 0 ] && python3 - "$W/labels" "$key" <<'EOF2'
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
want = {"kind": "label", "ts": "2026-12-24T08:00:00.000Z", "tenant": "acme",
        "asset": "P-103", "outcome": "confirmed",
        "mode": "bearing_outer_race", "from": "2026-12-23T04:56:40.000Z",
        "to": "2026-12-23T10:06:40.000Z", "workorder": sys.argv[2],
        "note": "spall 4 mm"}
sys.exit(0 if ls == [want] else "%s" % ls)
EOF2
then
	echo "ok - ticket-jsonserver: an outcome recorded in the CMMS comes back as a label"
else
	echo "not ok - ticket-jsonserver: feedback from the CMMS: exit $rc: $(cat "$W/err" "$W/labels" | head -3)"
fi
exit 0
