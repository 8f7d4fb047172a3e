#!/bin/sh
# ticket-episodes.sh - twin-ticket episodes on event time: hysteresis,
# persistence, escalation, de-escalation, close, re-arm; replay and
# restart give the same work orders; output valid against the schema;
# CSV export; feedback to labels.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
H="$TOP/tests/integration/cmms_faulty.py"
AJV="$TOP/tests/node_modules/.bin/ajv"
W=$(mktemp -d /tmp/twin-ticket-ep.XXXXXX)
trap 'rm -rf "$W"' EXIT

cat > "$W/policy.json" <<'EOF'
{"tenant":"acme","enter":0.8,"exit":0.6,"persist":"1h","clear":"2h",
 "rearm":"6h","deescalate":"1h",
 "priority":{"watch":3,"warning":2,"alarm":1},
 "due":{"1":"1d","2":"3d","3":"14d","4":"30d"},
 "modes":{"bearing_outer_race":{"title":"bearing outer race defect",
  "action":"replace the bearing","parts":["bearing SKF 6205"],
  "kit":["bearing puller"]}}}
EOF

# events FILE: the work order events, one line "event priority key".
events() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["kind"] == "workorder":
        print(r["event"], r["priority"], r["key"][:12])
' "$1"
}

tick() {
	twin-ticket -q -p "$W/policy.json" "$@"
}

# Flapping around the enter threshold (0.82, 0.75: never below exit),
# then flapping around the exit threshold (0.55, 0.65): one episode, whose
# severity falls from warning to watch on the way (an update).
flap=$(python3 -c 'print(",".join(["0.3x6"] + ["0.82x1,0.75x1"] * 20 + ["0.55x1,0.65x1"] * 10 + ["0.3x16"]))')
python3 "$H" gen "$flap" > "$W/flap"
crossings=$(python3 -c '
import json, sys
s = [json.loads(l)["score"] for l in open(sys.argv[1])]
print(sum(1 for a, b in zip(s, s[1:]) if a < 0.8 <= b))' "$W/flap")
tick "$W/flap" > "$W/flap.out"
got=$(events "$W/flap.out" | awk '{print $1}' | tr '\n' ' ')
if [ "$got" = "open update close " ] && [ "$crossings" -ge 20 ]; then
	echo "ok - ticket-episodes: $crossings upward crossings of 'enter' make one episode"
else
	echo "not ok - ticket-episodes: flapping: got '$got' from $crossings crossings"
fi

# Open at warning, escalate to alarm, de-escalate after 'deescalate' at
# warning, close after 'clear' below exit.
python3 "$H" gen "0.3x3,0.85x8,0.97x3,0.85x8,0.3x16" > "$W/esc"
tick "$W/esc" > "$W/esc.out"
got=$(events "$W/esc.out" | awk '{print $1 "/" $2}' | tr '\n' ' ')
keys=$(events "$W/esc.out" | awk '{print $3}' | sort -u | wc -l)
if [ "$got" = "open/2 escalate/1 update/2 close/2 " ] && [ "$keys" -eq 1 ]; then
	echo "ok - ticket-episodes: open, escalate, de-escalate, close under one key"
else
	echo "not ok - ticket-episodes: escalation: got '$got', $keys keys"
fi

# Event times: opened one 'persist' after the first reading above enter;
# closed one 'clear' after the first reading below exit; the key is
# sha256 of tenant, asset, mode and episode start, NUL-terminated each.
if python3 - "$W/esc.out" <<'EOF'
import hashlib, json, sys
w = [json.loads(l) for l in open(sys.argv[1])]
o, c = w[0], w[-1]
ok = (o["evidence"]["since"] == "2026-12-23T04:56:40.000Z" and
      o["ts"] == "2026-12-23T05:56:40.000Z" and
      c["ts"] == "2026-12-23T10:06:40.000Z" and
      o["due"] == "2026-12-26T05:56:40.000Z" and "due" not in c)
k = hashlib.sha256(b"acme\0P-103\0bearing_outer_race\0"
                   b"2026-12-23T04:56:40.000Z\0").hexdigest()
ok = ok and all(x["key"] == k for x in w)
ok = ok and o["parts"] == ["bearing SKF 6205"] and o["kit"] == ["bearing puller"]
ok = ok and o["evidence"]["contrib"][0]["feature"] == "vibration.de.x:env_bpfo"
ok = ok and o["prov"]["model_sha256"] == "a" * 64
sys.exit(0 if ok else 1)
EOF
then
	echo "ok - ticket-episodes: open/close times, due date, key, parts and evidence as specified"
else
	echo "not ok - ticket-episodes: times, due, key or evidence differ"
fi

# Re-arm: high again within 'rearm' after a close opens nothing; after
# it, a new episode with a new key.
python3 "$H" gen "0.9x8,0.3x13,0.9x8,0.3x30,0.9x8" > "$W/rearm"
tick "$W/rearm" > "$W/rearm.out"
got=$(events "$W/rearm.out" | awk '{print $1}' | tr '\n' ' ')
keys=$(events "$W/rearm.out" | awk '{print $3}' | sort -u | wc -l)
if [ "$got" = "open close open " ] && [ "$keys" -eq 2 ]; then
	echo "ok - ticket-episodes: no new episode within 'rearm'; a new key after it"
else
	echo "not ok - ticket-episodes: rearm: got '$got', $keys keys"
fi

# Replay gives byte-identical work orders.
tick "$W/esc" > "$W/esc.out2"
if cmp -s "$W/esc.out" "$W/esc.out2"; then
	echo "ok - ticket-episodes: replay gives identical work orders"
else
	echo "not ok - ticket-episodes: replay differs"
fi

# Restart mid-episode (state in -d): the two runs together give what one
# run gives; a rerun over everything adds nothing.
head -16 "$W/esc" > "$W/esc.a"
tail -n +17 "$W/esc" > "$W/esc.b"
tick -d "$W/st" "$W/esc.a" > "$W/r1"
tick -d "$W/st" "$W/esc.b" > "$W/r2"
tick -d "$W/st" "$W/esc" > "$W/r3"
cat "$W/r1" "$W/r2" > "$W/r12"
if cmp -s "$W/r12" "$W/esc.out" && [ ! -s "$W/r3" ] && [ -s "$W/r1" ] &&
    [ -s "$W/r2" ]; then
	echo "ok - ticket-episodes: restart mid-episode continues it; a rerun duplicates nothing"
else
	echo "not ok - ticket-episodes: restart: $(wc -l < "$W/r1")+$(wc -l < "$W/r2") lines, rerun $(wc -l < "$W/r3")"
fi

# Two assets interleaved keep their own episodes; other kinds pass
# through byte for byte.
python3 "$H" gen --asset P-101 "0.9x10,0.2x15" > "$W/p101"
printf '%s\n' '{"kind":"event","ts":"2026-12-23T04:00:00.000Z","tenant":"acme","event":"x", "spacing" : 1}' > "$W/mix"
paste -d '\n' "$W/esc" "$W/p101" | grep -v '^$' >> "$W/mix"
printf '%s\n' '{"kind":"label","ts":1798000000000,"tenant":"acme","asset":"P-103","outcome":"unknown"}' >> "$W/mix"
tick "$W/mix" > "$W/mix.out"
n103=$(grep '"kind":"workorder"' "$W/mix.out" | grep -c '"asset":"P-103"')
n101=$(grep '"kind":"workorder"' "$W/mix.out" | grep -c '"asset":"P-101"')
if [ "$n103" -eq 4 ] && [ "$n101" -eq 2 ] &&
    [ "$(head -1 "$W/mix.out")" = "$(head -1 "$W/mix")" ] &&
    [ "$(tail -1 "$W/mix.out")" = "$(tail -1 "$W/mix")" ]; then
	echo "ok - ticket-episodes: interleaved assets; other kinds passed through unchanged"
else
	echo "not ok - ticket-episodes: interleaved: P-103 $n103, P-101 $n101"
fi

# RUL gives the due date: ts + due_rul_fraction (0.5) * rul.lo hours.
python3 "$H" gen "0.9x7" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    r["rul"] = {"hours": 100.0, "lo": 80.0, "hi": 130.0}
    print(json.dumps(r))' > "$W/rul"
due=$(tick "$W/rul" | python3 -c 'import json,sys; print([json.loads(l)["due"] for l in sys.stdin][0])')
if [ "$due" = "2026-12-24T21:26:40.000Z" ]; then
	echo "ok - ticket-episodes: due date from the RUL interval's low end"
else
	echo "not ok - ticket-episodes: due from RUL: $due"
fi

# Schema: every work order above is valid; a broken one is not.
if [ -x "$AJV" ]; then
	mkdir -p "$W/ajv"
	cat "$W/esc.out" "$W/rearm.out" "$W/mix.out" | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    r = json.loads(l)
    if r["kind"] != "workorder":
        continue
    json.dump(r, open(sys.argv[1] + "/wo%03d.json" % n, "w"))
    n += 1
    last = r
del last["key"]
json.dump(last, open(sys.argv[1] + "/bad-nokey.json", "w"))
' "$W/ajv"
	if "$AJV" validate --spec=draft2020 -c ajv-formats \
	    -s "$TOP/schemas/workorder.json" -d "$W/ajv/wo*.json" \
	    > "$W/ajv.log" 2>&1; then
		echo "ok - ticket-episodes: $(ls "$W/ajv" | grep -c '^wo') work orders valid against schemas/workorder.json (ajv)"
	else
		echo "not ok - ticket-episodes: schema: $(grep -v ' valid$' "$W/ajv.log" | head -3 | tr '\n' ' ')"
	fi
	if "$AJV" validate --spec=draft2020 -c ajv-formats \
	    -s "$TOP/schemas/workorder.json" -d "$W/ajv/bad-nokey.json" \
	    > /dev/null 2>&1; then
		echo "not ok - ticket-episodes: a work order without key passes the schema"
	else
		echo "ok - ticket-episodes: the schema refuses a work order without key"
	fi
else
	echo "skip - ticket-episodes: schema: ajv not installed (make deps)"
fi

# CSV export: a header and one row per work order event.
tick --csv "$W/esc" > "$W/esc.csv"
if python3 - "$W/esc.csv" "$W/esc.out" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
wos = [json.loads(l) for l in open(sys.argv[2])]
ok = len(rows) == len(wos) == 4
for r, w in zip(rows, wos):
    ok = ok and r["key"] == w["key"] and r["event"] == w["event"]
    ok = ok and int(r["priority"]) == w["priority"]
    ok = ok and r["parts"] == "; ".join(w["parts"])
    ok = ok and float(r["score"]) == w["evidence"]["score"]
sys.exit(0 if ok else 1)
EOF
then
	echo "ok - ticket-episodes: --csv has one row per work order, same fields"
else
	echo "not ok - ticket-episodes: --csv differs from the records"
fi

# A record of another tenant is an error: reported, counted, rejected,
# exit 1 at the end; the stream carries on.
sed -n 1p "$W/esc" | sed 's/"tenant":"acme"/"tenant":"globex"/' > "$W/foreign"
cat "$W/esc" >> "$W/foreign"
tick -R "$W/rej" "$W/foreign" > "$W/foreign.out" 2> "$W/foreign.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l < "$W/foreign.out")" -eq 4 ] &&
    grep -q "foreign:1: record of tenant 'globex', not 'acme'" "$W/foreign.err" &&
    grep -q '"line":1' "$W/rej"; then
	echo "ok - ticket-episodes: a foreign tenant's score is rejected with its position, exit 1"
else
	echo "not ok - ticket-episodes: foreign tenant: exit $rc: $(cat "$W/foreign.err")"
fi
exit 0
