#!/bin/sh
# bench-ticket.sh - twin-ticket's episode throughput (score records/s) on a
# generated fleet, against jq merely selecting the same records and a
# Python implementation of the same hysteresis, run here on the same
# input; and delivery rate (work order messages/s) into the json-server
# stand-in with an fsync'ed outbox.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
B=${BENCH_DIR:-$(mktemp -d)}/ticket
mkdir -p "$B"
H="$TOP/tests/integration/cmms_faulty.py"

now() { python3 -c 'import time; print(time.time())'; }
rate() { python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print('%.0f' % (n/(b-a)))" "$@"; }
secs() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print('%.2f' % (b-a))" "$@"; }

# 200 assets x 1000 windows: healthy noise with a fault episode on every
# tenth asset.
python3 - "$B/scores" <<'PYEOF'
import json, random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    for w in range(1000):
        ts = "2026-12-%02dT%02d:%02d:00.000Z" % (1 + w // 144, (w // 6) % 24, (w % 6) * 10)
        for a in range(200):
            fault = a % 10 == 0 and 400 <= w < 700
            s = min(1.0, random.random() * 0.7 + (0.35 if fault else 0))
            sev = "alarm" if s > 0.97 else "warning" if s > 0.8 else "watch" if s > 0.6 else "normal"
            f.write(json.dumps({"kind": "score", "ts": ts, "tenant": "acme",
                "site": "plant1", "asset": "A-%03d" % a, "class": "centrifugal_pump",
                "score": round(s, 4), "band": [0, 1], "severity": sev,
                "modes": [{"mode": "bearing_outer_race", "p": 0.7, "action": "x", "evidence": []}],
                "contrib": [{"feature": "vibration.de.x:env_bpfo", "value": 2.0, "baseline": 1.0, "z": 3.0, "share": 0.5}],
                "dq": {"flags": []}, "prov": {"src": ["sim:plant1"], "model_sha256": "a" * 64}},
                separators=(",", ":")) + "\n")
PYEOF
n=$(wc -l < "$B/scores")
printf '{"tenant":"acme","enter":0.8,"exit":0.6,"persist":"30m","clear":"1h","rearm":"6h","deescalate":"1h"}\n' > "$B/policy.json"

t0=$(now)
twin-ticket -q -p "$B/policy.json" "$B/scores" > "$B/wo"
t1=$(now)
jq -c 'select(.kind == "score")' "$B/scores" > /dev/null
t2=$(now)
python3 - "$B/scores" > "$B/py" <<'PYEOF'
import json, sys
from datetime import datetime
# The same rules as twin-ticket's episodes (per asset, one mode).
ENTER, EXIT, PERSIST, CLEAR = 0.8, 0.6, 1800, 3600
st = {}
opens = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    t = datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
    e = st.setdefault(r["asset"], {"open": False, "pend": None, "below": None})
    s = r["score"]
    if not e["open"]:
        if s >= ENTER:
            e["pend"] = t if e["pend"] is None else e["pend"]
        elif s < EXIT:
            e["pend"] = None
        if e["pend"] is not None and t - e["pend"] >= PERSIST:
            e["open"], e["pend"], e["below"] = True, None, None
            opens += 1
    else:
        if s < EXIT:
            e["below"] = t if e["below"] is None else e["below"]
            if t - e["below"] >= CLEAR:
                e["open"] = False
        else:
            e["below"] = None
print(opens)
PYEOF
t3=$(now)
ours=$(grep -c '"event":"open"' "$B/wo")
echo "episodes: $n score records, $ours episodes opened (Python reference: $(cat "$B/py"))"
echo "  twin-ticket     $(secs "$t0" "$t1") s  $(rate "$n" "$t0" "$t1") records/s"
echo "  jq select only  $(secs "$t1" "$t2") s  $(rate "$n" "$t1" "$t2") records/s"
echo "  python episodes $(secs "$t2" "$t3") s  $(rate "$n" "$t2" "$t3") records/s"
python3 -c "import sys; a,b,c,d=map(float,sys.argv[1:]); print('  ratio: %.1fx jq, %.1fx python' % ((c-b)/(b-a), (d-c)/(b-a)))" "$t0" "$t1" "$t2" "$t3"

# Delivery: every message fsync'ed into the outbox, then sent to
# json-server (lookup + create, or PATCH), removed on 2xx.
if [ -x "$TOP/tests/node_modules/.bin/json-server" ] &&
    URL=$("$TOP/examples/cmms-standin" "$B/cmms"); then
	sed -n 70001,160000p "$B/scores" > "$B/scores.d"
	t0=$(now)
	twin-ticket -q -p "$B/policy.json" -d "$B/d" -u "$URL" \
	    -t "$TOP/examples/cmms/json-server.json" "$B/scores.d" > "$B/wo.d"
	rc=$?
	t1=$(now)
	m=$(grep -c . "$B/wo.d")
	echo "delivery: $m work order messages to json-server (exit $rc) in $(secs "$t0" "$t1") s: $(rate "$m" "$t0" "$t1") messages/s"
	kill "$(cat "$B/cmms/pid")" 2>/dev/null
else
	echo "delivery: json-server not installed (make deps); skipped"
fi
