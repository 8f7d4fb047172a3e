#!/bin/sh
# bench-map.sh - twin-map throughput on 2 million generated scalar raw
# records (about 150 bytes each, 40 tags of the example plant), against
# the same mapping done by jq and by a Python script in the same run, and
# twin-map's peak memory at 1 and 4 million records.  The same records
# with one extra key take twin-map's jansson path instead of its scanner,
# which shows what the scanner is worth.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
N=${BENCH_MAP_N:-2000000}
NREF=${BENCH_MAP_NREF:-200000}	# jq and Python are slow: a prefix
PY=/usr/bin/python3
MAP="$TOP/examples/plant1/tagmap.json"
d="$BENCH_DIR/map"
mkdir -p "$d"
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
	echo "bench-map: /usr/bin/time is missing"
	exit 1
fi

# 40 tag names the example map knows, in the three naming styles.
cat > "$d/tags" <<'TAGS'
Plant1/Line1/Pump01/VIB_DE_X
Plant1/Line1/Pump01/VEL_DE_X
Plant1/Line1/Pump01/BRG_TEMP_DE
Plant1/Line1/Pump01/PRESS_SUCT
Plant1/Line1/Pump01/PRESS_DISCH
Plant1/Line1/Pump01/FLOW
Plant1/Line1/Motor01/SPEED
Plant1/Line1/Motor01/WDG_TEMP
Plant1/Line3/Pump03/VEL_DE_X
Plant1/Line3/Pump03/BRG_TEMP_DE
Plant1/Line3/Pump03/PRESS_SUCT
Plant1/Line3/Pump03/PRESS_DISCH_LOOP
Plant1/Line3/Pump03/FLOW
Plant1/Line3/Motor03/SPEED
Plant1/Line3/Motor03/WDG_TEMP
p1_m101_current_mA
p1_m101_power_kw
p1_m102_current_mA
p1_m102_power_kw
p1_m103_current_mA
p1_m103_power_kw
PLANT1.L2.P102.VIB_DE_X
PLANT1.L2.P102.VEL_DE_X
PLANT1.L2.P102.BRG_TEMP_F
PLANT1.L2.P102.SUCT_PSI
PLANT1.L2.P102.DISCH_PSI
PLANT1.L2.P102.FLOW_GPM
PLANT1.L2.M102.VIB_DE_X
PLANT1.L2.M102.SPEED_HZ
PLANT1.L2.M102.WDG_TEMP_F
AHU-F201.VibVel
AHU-F201.MotorAmps
AHU-F201.BrgTemp
AHU-F201.Speed
AHU-F201.Power
AHU-F202.VibVel
AHU-F202.MotorAmps
AHU-F202.BrgTemp
AHU-F202.Speed
AHU-F202.Power
TAGS

# Records: one scan of all 40 tags per second of event time.
"$PY" - "$d/tags" "$N" "$d/raw" <<'PYGEN'
import sys, random, time
tags = open(sys.argv[1]).read().split()
n = int(sys.argv[2])
random.seed(1)
t0 = 1795255200
out = open(sys.argv[3], "w")
buf = []
for i in range(n):
    s, k = divmod(i, len(tags))
    if k == 0:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + s)) + ".000Z"
    buf.append('{"kind":"raw","ts":"%s","tenant":"acme","src":"sim:plant1",'
        '"seq":%d,"tag":"%s","v":%.3f,"q":"good"}\n'
        % (ts, i + 1, tags[k], random.uniform(1, 100)))
    if len(buf) == 10000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
PYGEN
bytes=$(wc -c < "$d/raw")
head -n "$NREF" "$d/raw" > "$d/raw.ref"
sed 's/^{/{"x":0,/' "$d/raw" > "$d/raw.slow"

# The same mapping for jq and Python: each tag's entry resolved once by
# twin-map itself, with its conversion as v * mul + add.
"$TOP/bin/twin-map" -q "$MAP" "$d/raw" 2>/dev/null | head -40 > "$d/first"
head -40 "$d/raw" > "$d/first.raw"
"$PY" - "$d/first.raw" "$d/first" "$d/table.json" <<'PYTAB'
import json, sys
raw = [json.loads(l) for l in open(sys.argv[1])]
smp = [json.loads(l) for l in open(sys.argv[2])]
table = {}
for r, s in zip(raw, smp):
    # Two points of each linear conversion, computed by twin-map.
    table[r["tag"]] = {k: s[k] for k in
        ("site", "asset", "class", "channel", "unit")}
    table[r["tag"]]["v"] = [r["v"], s["v"]]
sha = smp[0]["prov"]["tagmap_sha256"]
json.dump({"sha": sha, "tags": table}, open(sys.argv[3], "w"))
PYTAB
# Fill in mul and add from a second point per tag: v=0 and v=1.
for v in 0 1; do
	sed "s/\"v\":[-0-9.e]*/\"v\":$v/" "$d/first.raw" |
	    "$TOP/bin/twin-map" -q "$MAP" > "$d/pt$v" 2>/dev/null
done
"$PY" - "$d/table.json" "$d/first.raw" "$d/pt0" "$d/pt1" "$MAP" <<'PYLIN'
import json, re, sys
t = json.load(open(sys.argv[1]))
entries = json.load(open(sys.argv[5]))["tags"]
def entry(tag):
    for e in entries:
        if e.get("tag") == tag:
            return e
    for e in entries:
        if "pattern" in e and re.fullmatch(e["pattern"], tag):
            return e
raw = [json.loads(l) for l in open(sys.argv[2])]
p0 = [json.loads(l) for l in open(sys.argv[3])]
p1 = [json.loads(l) for l in open(sys.argv[4])]
for r, a, b in zip(raw, p0, p1):
    e = t["tags"][r["tag"]]
    e["add"] = a["v"]
    e["mul"] = b["v"] - a["v"]
    m = entry(r["tag"])
    e["min"] = m.get("min", -1e308)
    e["max"] = m.get("max", 1e308)
    del e["v"]
json.dump(t, open(sys.argv[1], "w"))
PYLIN
cat > "$d/map.jq" <<'JQ'
if .kind == "raw" then
  $t[0].tags[.tag] as $e
  | (.v * $e.mul + $e.add) as $v
  | {kind: "sample", ts, tenant, site: $e.site, asset: $e.asset,
     class: $e.class, channel: $e.channel, unit: $e.unit,
     v: $v, q: (.q // "good")}
  + (if $v < $e.min or $v > $e.max then {flags: ["out_of_range"]}
     else {} end)
  + {src, seq, prov: {tagmap_sha256: $t[0].sha}}
else . end
JQ
cat > "$d/map.py" <<'PYMAP'
import json, sys
t = json.load(open(sys.argv[1]))
tags, sha = t["tags"], t["sha"]
out = sys.stdout
for line in sys.stdin:
    r = json.loads(line)
    if r.get("kind") != "raw":
        out.write(line)
        continue
    e = tags[r["tag"]]
    v = r["v"] * e["mul"] + e["add"]
    s = {"kind": "sample", "ts": r["ts"],
        "tenant": r["tenant"], "site": e["site"], "asset": e["asset"],
        "class": e["class"], "channel": e["channel"], "unit": e["unit"],
        "v": v, "q": r.get("q", "good")}
    if v < e["min"] or v > e["max"]:
        s["flags"] = ["out_of_range"]
    s["src"] = r["src"]
    s["seq"] = r["seq"]
    s["prov"] = {"tagmap_sha256": sha}
    out.write(json.dumps(s, separators=(",", ":")) + "\n")
PYMAP

# run NAME RECORDS CMD...: prints wall and CPU seconds and peak RSS.
run() {
	name=$1
	n=$2
	shift 2
	$TIME -f "%e %U %S %M" -o "$d/time" "$@" > "$d/out.$name" 2>"$d/err"
	if [ "$(wc -l < "$d/time")" -gt 1 ]; then
		echo "$name: $(head -1 "$d/time"): $(head -1 "$d/err")"
	fi
	read -r wall usr sys rss <<-TIMES
	$(tail -1 "$d/time")
	TIMES
	awk -v name="$name" -v n="$n" -v w="$wall" -v u="$usr" -v s="$sys" \
	    -v rss="$rss" 'BEGIN {
		cpu = u + s; if (cpu < 0.01) cpu = 0.01; if (w < 0.01) w = 0.01
		printf "%-22s %9d rec %7.2f s wall %7.2f s cpu %10.0f rec/s cpu %10.0f rec/s wall %7d KB\n",
		    name, n, w, cpu, n / cpu, n / w, rss
	}' | tee -a "$d/results"
}
: > "$d/results"
echo "input: $N records, $bytes bytes ($(awk -v b="$bytes" -v n="$N" \
    'BEGIN { printf "%.0f", b / n }') bytes each), 40 tags"
run twin-map "$N" "$TOP/bin/twin-map" -q "$MAP" "$d/raw"
run twin-map-jansson "$N" "$TOP/bin/twin-map" -q "$MAP" "$d/raw.slow"
run twin-map-prefix "$NREF" "$TOP/bin/twin-map" -q "$MAP" "$d/raw.ref"
if command -v jq >/dev/null 2>&1; then
	run jq "$NREF" jq -c --slurpfile t "$d/table.json" -f "$d/map.jq" \
	    "$d/raw.ref"
else
	echo "jq: not installed"
fi
run python3 "$NREF" sh -c "'$PY' '$d/map.py' '$d/table.json' < '$d/raw.ref'"

# Correctness of the comparison: the same samples, up to number text.
for ref in python3 jq; do
	[ -f "$d/out.$ref" ] || continue
	"$PY" - "$d/out.twin-map-prefix" "$d/out.$ref" "$ref" <<'PYCMP'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
bad = sum(1 for x, y in zip(a, b)
    if list(x) != list(y) or
    {k: x[k] for k in x if k != "v"} != {k: y[k] for k in y if k != "v"}
    or abs(x["v"] - y["v"]) > 1e-9 * max(1, abs(x["v"])))
bad += abs(len(a) - len(b))
print("check: twin-map and %s agree on %d of %d samples"
    % (sys.argv[3], len(a) - bad, len(a)))
PYCMP
done

cat "$d/raw" "$d/raw" > "$d/raw4"
head -n $((N / 2)) "$d/raw" > "$d/raw1"
run rss-1M $((N / 2)) "$TOP/bin/twin-map" -q "$MAP" "$d/raw1"
run rss-4M $((N * 2)) "$TOP/bin/twin-map" -q "$MAP" "$d/raw4"

awk '
	{ rate[$1] = $10 }
	END {
		printf "twin-map: %.0f rec/s on one core (cpu time)\n", rate["twin-map"]
		printf "scanner vs jansson path: %.1fx\n", rate["twin-map"] / rate["twin-map-jansson"]
		if (rate["jq"] > 0)
			printf "twin-map vs jq:      %.1fx\n", rate["twin-map-prefix"] / rate["jq"]
		printf "twin-map vs python3: %.1fx\n", rate["twin-map-prefix"] / rate["python3"]
	}' "$d/results"
[ -n "$KEEP" ] || rm -rf "$d"
