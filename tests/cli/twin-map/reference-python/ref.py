# ref.py - twin-map's conversions, ranges, quality codes and pattern
# captures against an independent Python reference: exact rational
# arithmetic on the NIST SP 811 definitions, Python's re for patterns.
import json, random, re, subprocess, sys
from fractions import Fraction as F

top = sys.argv[1]
mapfile = top + "/examples/plant1/tagmap.json"
m = json.load(open(mapfile))
# unit -> (dimension, function to the canonical unit), exact.
g0 = F("9.80665")
psi = F("4.4482216152605") / F("0.64516")  # kPa: 1 lbf per in2
gal = F("3.785411784")                               # litres
U = {
    "g": ("acc", lambda x: x), "m/s2": ("acc", lambda x: x / g0),
    "mm/s": ("vel", lambda x: x), "in/s": ("vel", lambda x: x * F("25.4")),
    "degC": ("tmp", lambda x: x), "degF": ("tmp", lambda x: (x - 32) * 5 / 9),
    "K": ("tmp", lambda x: x - F("273.15")),
    "kPa": ("prs", lambda x: x), "bar": ("prs", lambda x: x * 100),
    "psi": ("prs", lambda x: x * psi),
    "A": ("cur", lambda x: x), "mA": ("cur", lambda x: x / 1000),
    "rpm": ("spd", lambda x: x), "Hz": ("spd", lambda x: x * 60),
    "m3/h": ("flw", lambda x: x), "gpm": ("flw", lambda x: x * gal * 60 / 1000),
    "kW": ("pwr", lambda x: x), "W": ("pwr", lambda x: x / 1000),
}
CANON = {"vibration": "g", "velocity": "mm/s", "temperature": "degC",
         "pressure": "kPa", "current": "A", "speed": "rpm", "flow": "m3/h",
         "power": "kW"}

def resolve(tag):
    for e in m["tags"]:
        if e.get("tag") == tag:
            return e, None
    for e in m["tags"]:
        if "pattern" in e:
            mt = re.fullmatch(e["pattern"].replace("\\d", "[0-9]"), tag)
            if mt:
                return e, mt
    return None, None

def sub(t, mt):
    return re.sub(r"\$([1-9])", lambda g: mt.group(int(g.group(1))), t) \
        if mt else t

names = ["Plant1/Line%d/Pump0%d/%s" % (l, l, s) for l in (1, 3)
         for s in ("VIB_DE_X", "VIB_DE_Y", "VEL_DE_X", "BRG_TEMP_DE",
                   "PRESS_SUCT", "PRESS_DISCH", "FLOW")]
names += ["Plant1/Line%d/Motor0%d/%s" % (l, l, s) for l in (1, 3)
          for s in ("VIB_DE_X", "SPEED", "WDG_TEMP")]
names += ["Plant1/Line3/Pump03/PRESS_DISCH_LOOP"]
names += ["p1_m10%d_%s" % (i, s) for i in (1, 2, 3)
          for s in ("current_mA", "power_kw")]
names += ["PLANT1.L2.P102." + s for s in ("VIB_DE_X", "VIB_DE_Y", "VEL_DE_X",
          "BRG_TEMP_F", "SUCT_PSI", "DISCH_PSI", "FLOW_GPM")]
names += ["PLANT1.L2.M102." + s for s in ("VIB_DE_X", "SPEED_HZ",
          "WDG_TEMP_F")]
names += ["AHU-F20%d.%s" % (i, s) for i in (1, 2)
          for s in ("VibVel", "MotorAmps", "BrgTemp", "Speed", "Power")]
random.seed(4)
qs = [("good", "good"), ("uncertain", "uncertain"), (0, "good"),
      (0x40000000, "uncertain"), (0x80000000, "bad"), (0x808A0000, "bad"),
      (0xC0000000, "bad"), (None, "good")]
raw, want = [], []
for i in range(4000):
    tag = names[i % len(names)]
    v = round(random.uniform(-500, 5000), random.randint(0, 6))
    q, qn = qs[i % len(qs)]
    r = {"kind": "raw", "ts": 1795255200000 + i, "tenant": "acme",
         "src": "ref", "seq": i, "tag": tag, "v": v}
    if q is not None:
        r["q"] = q
    raw.append(json.dumps(r))
    e, mt = resolve(tag)
    fam = e["channel"].split(".")[0]
    dim, f = U[e["unit"]]
    x = F(v) * F(e.get("scale", 1)) + F(e.get("offset", 0))
    y = f(x)
    oor = ("min" in e and y < F(e["min"])) or ("max" in e and y > F(e["max"]))
    # Offsets (degF, K, a 4-20 mA loop) cancel: the error of a double
    # result is bounded by the magnitudes involved, not by the result.
    mag = abs(y) + abs(x) + 300
    want.append({"asset": sub(e["asset"], mt), "channel": e["channel"],
                 "class": e["class"], "unit": CANON[fam], "v": y, "q": qn,
                 "oor": oor, "mag": mag})
p = subprocess.run([top + "/bin/twin-map", "-q", mapfile],
                   input="\n".join(raw) + "\n", capture_output=True,
                   text=True)
got = [json.loads(l) for l in p.stdout.splitlines()]
bad = 0
worst = 0.0
for g, w in zip(got, want):
    err = abs(F(g["v"]) - w["v"]) / w["mag"]
    worst = max(worst, float(err))
    ok = (g["asset"] == w["asset"] and g["channel"] == w["channel"] and
          g["class"] == w["class"] and g["unit"] == w["unit"] and
          g["q"] == w["q"] and ("flags" in g) == w["oor"] and err < 1e-15)
    if not ok:
        bad += 1
        if bad <= 3:
            print("differs:", g, w)
print("exit status", p.returncode)
print("%d raw records, %d samples, %d differ from the reference"
      % (len(raw), len(got), bad))
print("largest error below 1e-15 of the magnitudes:", worst < 1e-15)
print("out of range flagged:", sum(1 for w in want if w["oor"]))
