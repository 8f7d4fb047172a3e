#!/bin/sh
# ticket-feedback.sh - technicians' outcomes (CSV or NDJSON) become label
# records for twin-retrain; bad lines are rejected with their position.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
H="$TOP/tests/integration/cmms_faulty.py"
AJV="$TOP/tests/node_modules/.bin/ajv"
W=$(mktemp -d /tmp/twin-ticket-fb.XXXXXX)
trap 'rm -rf "$W"' EXIT

# Work orders first, so the feedback refers to real keys.
printf '{"tenant":"acme","persist":"1h","clear":"2h"}\n' > "$W/policy.json"
python3 "$H" gen "0.3x3,0.9x8,0.3x16" > "$W/scores"
twin-ticket -q -p "$W/policy.json" "$W/scores" > "$W/wo"
key=$(head -1 "$W/wo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

cat > "$W/fb.csv" <<EOF2
ts,asset,outcome,mode,workorder,note,from,to
2026-12-24T08:00:00Z,P-103,Confirmed,bearing_outer_race,$key,"outer race spall, 4 mm",2026-12-23T04:56:40Z,2026-12-23T08:06:40Z
2026-12-24T09:00:00Z,P-101,False alarm,,,"sensor loose; ""fixed""",,
2026-12-24T10:00:00Z,P-102,action-taken,imbalance,,,,
2026-12-24T11:00:00Z,P-102,maybe,,,,,
EOF2
cat > "$W/fb.ndjson" <<EOF2
{"ts":"2026-12-25T08:00:00Z","asset":"M-101","outcome":"unknown","note":"no access"}
{"ts":1798300000000,"tenant":"acme","asset":"M-102","outcome":"false_alarm"}
{"ts":"2026-12-25T09:00:00Z","tenant":"globex","asset":"M-103","outcome":"confirmed"}
EOF2
twin-ticket --feedback -T acme "$W/fb.csv" "$W/fb.ndjson" > "$W/labels" 2> "$W/err"
rc=$?
if python3 - "$W/labels" "$key" <<'EOF2'
import json, re, sys
labels = [json.loads(l) for l in open(sys.argv[1])]
key = sys.argv[2]
T = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3}|\d{6}|\d{9})Z$")
allowed = {"kind", "ts", "tenant", "asset", "outcome", "mode", "from", "to",
           "workorder", "note"}
ok = len(labels) == 5
for l in labels:
    ok = ok and l["kind"] == "label" and l["tenant"] == "acme"
    ok = ok and T.match(l["ts"]) is not None and set(l) <= allowed
    ok = ok and l["outcome"] in ("confirmed", "false_alarm", "action_taken",
                                 "unknown")
    for k in ("from", "to"):
        ok = ok and (k not in l or T.match(l[k]) is not None)
a = labels[0]
ok = ok and a["outcome"] == "confirmed" and a["workorder"] == key
ok = ok and a["note"] == "outer race spall, 4 mm"
ok = ok and a["mode"] == "bearing_outer_race"
ok = ok and a["from"] == "2026-12-23T04:56:40.000Z"
ok = ok and labels[1]["outcome"] == "false_alarm"
ok = ok and labels[1]["note"] == 'sensor loose; "fixed"' and "mode" not in labels[1]
ok = ok and labels[2]["outcome"] == "action_taken"
ok = ok and labels[4]["ts"] == "2026-12-26T15:46:40.000Z"
sys.exit(0 if ok else 1)
EOF2
then
	echo "ok - ticket-feedback: CSV and NDJSON outcomes become 5 label records of the agreed shape"
else
	echo "not ok - ticket-feedback: labels differ: $(head -3 "$W/labels")"
fi
if [ $rc -eq 1 ] && grep -q "fb.csv:5: unknown outcome 'maybe'" "$W/err" &&
    grep -q "fb.ndjson:3: record of tenant 'globex', not 'acme'" "$W/err"; then
	echo "ok - ticket-feedback: an unknown outcome and a foreign tenant are rejected with their position, exit 1"
else
	echo "not ok - ticket-feedback: errors: exit $rc: $(cat "$W/err")"
fi
if [ -f "$TOP/schemas/label.json" ] && [ -x "$AJV" ]; then
	mkdir -p "$W/ajv"
	python3 -c '
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    json.dump(json.loads(l), open("%s/l%d.json" % (sys.argv[2], i), "w"))
' "$W/labels" "$W/ajv"
	if "$AJV" validate --spec=draft2020 -c ajv-formats \
	    -s "$TOP/schemas/label.json" -d "$W/ajv/l*.json" > "$W/ajv.log" 2>&1
	then
		echo "ok - ticket-feedback: labels valid against schemas/label.json (ajv)"
	else
		echo "not ok - ticket-feedback: schemas/label.json: $(grep -v ' valid$' "$W/ajv.log" | head -3 | tr '\n' ' ')"
	fi
else
	echo "skip - ticket-feedback: schemas/label.json or ajv absent; shape checked above"
fi
exit 0
