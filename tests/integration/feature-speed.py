#!/usr/bin/python3
"""feature-speed.py - a pump follows its motor's speed channel.

The motor M-101 carries the tachometer (speed.shaft, rpm, a scalar every
5 s); its VFD ramps it from 1480 to 1780 rpm.  P-101 is coupled directly
(ratio 1) and P-102 through a belt (ratio 0.8); neither has a speed
channel.  Each pump sends a 1 s vibration block every 30 s with a 1x line
and outer-race impacts ringing a 3.5 kHz resonance, generated at its true
shaft speed.  Checks, against frequencies computed here from the bearing
geometry:

  - speed_hz is the motor's speed times the ratio (1e-9 relative), x1 the
    1x amplitude (within the Hann window's 15% scalloping loss) and
    env_bpfo_hz the kinematic BPFO within 0.5 Hz, all along the ramp;
    dq.speed is "measured";
  - after the tachometer stops, windows within max_age use its last
    sample, later ones fall back to P-101's nominal rpm with dq.speed
    "nominal", and P-102 (no nominal) has no speed and no orders, with
    dq.speed "missing";
  - speed records arriving 40 s late against the vibration (after the
    next vibration block) give the same feature records with a lateness
    of 45 s as in order, and other ones (an older speed) with none;
  - two tenants with the same asset names and different speeds: each run
    sees only its own tenant's speed;
  - a source asset that is unknown, and a ratio <= 0, are configuration
    errors naming their place in the spec.
"""
import os
import sys

if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

import json
import subprocess
import tempfile

import numpy as np

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PROG = os.path.join(TOP, "bin", "twin-feature")
FAILED = 0

RATE = 12800
T0 = 1796000000000          # ms, 2026-11-29
BALLS, BD, PD = 9, 7.94, 39.04
BPFO_X = BALLS / 2 * (1 - BD / PD)
A1 = 0.05                   # g, the 1x line
RAMP_S = 600                # 1480 -> 1780 rpm over 10 minutes
STOP_S = 660                # the tachometer's last sample
END_S = 780                 # the pumps' last block
RATIO = {"P-101": 1.0, "P-102": 0.8}
NOMINAL = 1780.0            # P-101's nominal rpm


def ok(name):
    print("ok - " + name)


def notok(name, why):
    global FAILED
    FAILED = 1
    print("not ok - %s: %s" % (name, why))


def motor_rpm(s, top=1780.0):
    return 1480.0 + (top - 1480.0) * min(s, RAMP_S) / RAMP_S


def block(fr, seed):
    """One second of a pump's vibration at shaft rate fr."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE) / RATE
    x = A1 * np.sin(2 * np.pi * fr * t + 0.3)
    x += 0.02 * np.sin(2 * np.pi * 2 * fr * t + 1.1)
    bpfo = BPFO_X * fr
    for tk in np.arange(0.0, 1.0, 1 / bpfo):
        d = t - tk
        m = (d >= 0) & (d < 0.004)
        x[m] += 0.5 * np.exp(-d[m] / 0.0005) * \
            np.sin(2 * np.pi * 3500 * d[m])
    x += 0.01 * rng.standard_normal(RATE)
    return [round(float(v), 6) for v in x]


def sample(tenant, ts, asset, cls, channel, unit, v, rate=None):
    r = {"kind": "sample", "ts": ts, "tenant": tenant, "asset": asset,
         "class": cls, "channel": channel, "unit": unit, "v": v}
    if rate:
        r["rate_hz"] = rate
    return r


def plant(tenant="acme", top=1780.0, delay_ms=0):
    """(time order key, record) pairs; speed records delayed by delay_ms."""
    recs = []
    for s in range(0, STOP_S + 1, 5):
        recs.append((T0 + s * 1000 + delay_ms, 0, sample(
            tenant, T0 + s * 1000, "M-101", "electric_motor", "speed.shaft",
            "rpm", round(motor_rpm(s, top), 3))))
    for s in list(range(0, END_S + 1, 30)) + [STOP_S + 10]:
        for i, p in enumerate(("P-101", "P-102")):
            fr = motor_rpm(min(s, STOP_S), top) / 60 * RATIO[p]
            recs.append((T0 + s * 1000, 1 + i, sample(
                tenant, T0 + s * 1000, p, "pump", "vibration.de.x", "g",
                block(fr, s * 7 + i), RATE)))
    recs.sort(key=lambda r: (r[0], r[1]))
    return [r for _, _, r in recs]


def spec(lateness="0s", **extra):
    sp = {"version": 1, "lateness": lateness,
          "classes": {
              "pump": {
                  "bearings": {"de": {"balls": BALLS, "ball_d": BD,
                                      "pitch_d": PD}},
                  "channels": [{
                      "match": "vibration.*", "unit": "g",
                      "window": {"length": "1s", "bursts": True},
                      "features": ["rms", "orders", "envelope"],
                      "envelope": {"lo": 2000, "hi": 5000}}]},
              "electric_motor": {
                  "speed": {"channel": "speed.shaft"},
                  "channels": [{"match": "speed.shaft",
                                "window": {"length": "1m"},
                                "features": ["mean"]}]}},
          "assets": {
              "M-101": {},
              "P-101": {"speed": {"asset": "M-101", "channel": "speed.shaft",
                                  "rpm": NOMINAL, "max_age": "20s"}},
              "P-102": {"speed": {"asset": "M-101", "channel": "speed.shaft",
                                  "ratio": RATIO["P-102"],
                                  "max_age": "20s"}}}}
    sp.update(extra)
    return sp


def run(tmp, sp, recs, tenant="acme", name="in"):
    sf = os.path.join(tmp, name + ".json")
    inf = os.path.join(tmp, name + ".ndjson")
    with open(sf, "w") as f:
        json.dump(sp, f)
    with open(inf, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    p = subprocess.run([PROG, "-q", "-T", tenant, "-s", sf, inf],
                       capture_output=True, text=True)
    out = [json.loads(line) for line in p.stdout.splitlines()]
    return p.returncode, out, p.stdout, p.stderr


def unspec(text):
    """Feature records without the spec's digest, which names the spec."""
    out = []
    for line in text.splitlines():
        r = json.loads(line)
        del r["prov"]["spec_sha256"]
        out.append(json.dumps(r, sort_keys=True))
    return out


def pump_windows(out, asset):
    return [r for r in out if r["kind"] == "feature" and r["asset"] == asset
            and r["channel"] == "vibration.de.x"]


def secs(r):
    return round((np.datetime64(r["window"]["start"][:-1], "ms") -
                  np.datetime64(T0, "ms")) / np.timedelta64(1, "s"))


def check_ramp(out):
    for p in ("P-101", "P-102"):
        ws = [r for r in pump_windows(out, p) if secs(r) <= STOP_S]
        bad = []
        worst_hz = worst_x1 = 0.0
        for r in ws:
            s = secs(r)
            fr = motor_rpm(s) / 60 * RATIO[p]
            bpfo = BPFO_X * fr
            if r["dq"].get("speed") != "measured":
                bad.append("%ds: dq.speed %r" % (s, r["dq"].get("speed")))
                continue
            if abs(r["speed_hz"] - fr) > 1e-9 * fr:
                bad.append("%ds: speed_hz %.9g, want %.9g" %
                           (s, r["speed_hz"], fr))
            dx1 = abs(r["f"]["x1"] - A1) / A1
            dhz = abs(r["f"]["env_bpfo_hz"] - bpfo)
            worst_x1, worst_hz = max(worst_x1, dx1), max(worst_hz, dhz)
            if dx1 > 0.15:
                bad.append("%ds: x1 %.4g, want %.4g" % (s, r["f"]["x1"], A1))
            if dhz > 0.5:
                bad.append("%ds: env_bpfo_hz %.3f, want %.3f" %
                           (s, r["f"]["env_bpfo_hz"], bpfo))
        if len(ws) != STOP_S // 30 + 1:
            bad.append("%d windows up to the stop, want %d" %
                       (len(ws), STOP_S // 30 + 1))
        if bad:
            notok("%s follows M-101 along the ramp" % p, "; ".join(bad[:4]))
        else:
            lo, hi = ws[0], ws[-1]
            ok("%s follows M-101 along the ramp (ratio %g): BPFO %.2f -> "
               "%.2f Hz found within %.3f Hz, x1 within %.1f%% of %g g" %
               (p, RATIO[p], lo["f"]["env_bpfo_hz"], hi["f"]["env_bpfo_hz"],
                worst_hz, 100 * worst_x1, A1))


def check_fallback(out):
    last = motor_rpm(STOP_S) / 60
    bad = []
    for r in pump_windows(out, "P-101"):
        s = secs(r)
        if s <= STOP_S:
            continue
        if s - STOP_S + 1 <= 20:
            want, how = last, "measured"
        else:
            want, how = NOMINAL / 60, "nominal"
        if r["dq"].get("speed") != how or \
                abs(r.get("speed_hz", 0) - want) > 1e-9 * want:
            bad.append("%ds: %r at %r Hz, want %s at %.6g" % (
                s, r["dq"].get("speed"), r.get("speed_hz"), how, want))
    for r in pump_windows(out, "P-102"):
        s = secs(r)
        if s - STOP_S + 1 > 20 and (r["dq"].get("speed") != "missing" or
                                    "speed_hz" in r or "x1" in r["f"]):
            bad.append("P-102 %ds: %r, speed_hz %r, x1 %r" % (
                s, r["dq"].get("speed"), r.get("speed_hz"),
                r["f"].get("x1")))
    n = sum(1 for r in pump_windows(out, "P-101")
            if r["dq"].get("speed") == "nominal")
    if bad or n == 0:
        notok("stale speed falls back", "; ".join(bad[:4]) or
              "no window on the nominal speed")
    else:
        ok("stale speed: last sample within max_age, then %d windows on "
           "the nominal rpm (dq.speed nominal), none without it" % n)


def main():
    if not os.access(PROG, os.X_OK):
        notok("feature-speed", PROG + " not built")
        return
    with tempfile.TemporaryDirectory() as tmp:
        rc, out, text, err = run(tmp, spec(), plant())
        if rc != 0:
            notok("feature-speed", "exit %d: %s" % (rc, err.strip()))
            return
        check_ramp(out)
        check_fallback(out)

        # Disorder: speed records 40 s late against the vibration, after
        # the next vibration block.
        late = plant(delay_ms=40000)
        rc1, _, t1, e1 = run(tmp, spec("45s"), plant(), name="l0")
        rc2, _, t2, e2 = run(tmp, spec("45s"), late, name="l1")
        if rc1 or rc2:
            notok("disorder within the lateness", e1 + e2)
        elif sorted(t1.splitlines()) != sorted(t2.splitlines()):
            notok("disorder within the lateness", "feature records differ")
        elif sorted(unspec(t1)) != sorted(unspec(text)):
            notok("disorder within the lateness",
                  "a lateness changes in-order results")
        else:
            ok("speed records 40 s late: the same %d feature records with "
               "a lateness of 45 s" % len(t1.splitlines()))
        rc3, out3, _, e3 = run(tmp, spec(), late, name="l2")
        # (without a lateness the sample 10 s before is within max_age)
        old = [r for r in pump_windows(out3, "P-101")
               if 0 < secs(r) <= RAMP_S and
               r.get("speed_hz", 0) < motor_rpm(secs(r)) / 60 - 1e-6]
        if rc3 or not old:
            notok("disorder beyond the lateness", "rc %d, %d windows on an "
                  "older speed" % (rc3, len(old)))
        else:
            ok("speed records 40 s late, no lateness: %d windows use the "
               "sample 10 s before (documented)" % len(old))

        # Snapshots every 10 minutes, held by a lateness of 5 s until the
        # next one, while the tachometer sends a sample every second: the
        # samples a held window needs must outlive the many that follow.
        recs = []
        for s in range(0, 1801):
            recs.append(sample("acme", T0 + s * 1000, "M-101",
                               "electric_motor", "speed.shaft", "rpm",
                               1480.0 + s / 6))
            if s % 600 == 0:
                recs.append(sample("acme", T0 + s * 1000, "P-101", "pump",
                                   "vibration.de.x", "g",
                                   block((1480.0 + s / 6) / 60, s), RATE))
        rc, out, _, err = run(tmp, spec("5s"), recs, name="held")
        ws = pump_windows(out, "P-101")
        bad = ["%ds: %r %r" % (secs(r), r.get("speed_hz"),
                               r["dq"].get("speed")) for r in ws
               if abs(r.get("speed_hz", 0) - (1480.0 + secs(r) / 6) / 60) >
               1e-9 * 30]
        if rc != 0 or len(ws) != 4 or bad:
            notok("held snapshot keeps its speed", "exit %d, %d windows; %s"
                  % (rc, len(ws), "; ".join(bad[:4]) or err.strip()))
        else:
            ok("snapshots held 10 minutes by the lateness keep their speed "
               "among 1 Hz tachometer samples")

        # Two tenants, same asset names, different speeds; interleaved so
        # that shared state would mix them into the windows' means.
        a, b = plant("acme"), plant("beta", top=1180.0)
        both = [r for pair in zip(a, b) for r in pair]
        res = {}
        for ten in ("acme", "beta"):
            rc, out, _, err = run(tmp, spec(), both, tenant=ten,
                                  name="t-" + ten)
            res[ten] = (rc, out, err)
        bad = []
        for ten, top in (("acme", 1780.0), ("beta", 1180.0)):
            rc, out, err = res[ten]
            if rc != 1 or "tenant" not in err:
                bad.append("%s: exit %d, want 1 for the other tenant's "
                           "records" % (ten, rc))
            for r in pump_windows(out, "P-101"):
                s = secs(r)
                if s > STOP_S or r["tenant"] != ten:
                    continue
                want = motor_rpm(s, top) / 60
                if abs(r["speed_hz"] - want) > 1e-9 * want:
                    bad.append("%s %ds: speed_hz %.6g, want %.6g" %
                               (ten, s, r["speed_hz"], want))
        if bad:
            notok("tenants keep their own speeds", "; ".join(bad[:4]))
        else:
            ok("two tenants with the same asset names: each window uses "
               "its own tenant's speed")

        # Bad specs.
        cases = [
            ({"P-101": {"speed": {"asset": "M-999",
                                  "channel": "speed.shaft"}}},
             "assets.P-101.speed.asset: unknown asset 'M-999'"),
            ({"M-101": {}, "P-101": {"speed": {
                "asset": "M-101", "channel": "speed.shaft", "ratio": 0}}},
             "assets.P-101.speed.ratio: 0 is out of range"),
            ({"M-101": {}, "P-101": {"speed": {
                "asset": "M-101", "channel": "speed.shaft", "ratio": -2}}},
             "assets.P-101.speed.ratio: -2 is out of range"),
        ]
        for i, (assets, want) in enumerate(cases):
            rc, _, _, err = run(tmp, spec(assets=assets), [], name="b%d" % i)
            if rc != 3 or want not in err:
                notok("bad speed source %d" % i, "exit %d: %s" %
                      (rc, err.strip()))
            else:
                ok("bad speed source refused: " + want)


main()
sys.exit(FAILED)
