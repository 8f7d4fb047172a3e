#!/usr/bin/python3
"""feature-ref.py - every twin-feature feature against numpy/scipy.

Generates sample records (a shaft-rate signal with harmonics, noise and
bearing outer-race impacts ringing a 3.2 kHz resonance; a temperature
series), runs bin/twin-feature, and recomputes each feature independently
with numpy/scipy (scipy.stats moments, scipy.signal Hann window and
Hilbert transform, numpy FFT).  Tolerances: 1e-9 relative for time-domain
statistics (only the summation order differs), 1e-7 relative for spectral
and envelope figures (different FFT algorithms), exact for frequencies of
found lines.  Also checks that f32le blocks give byte-identical output to
the same values as text, and that disorder within the allowed lateness
gives byte-identical output.
"""
import os
import sys

if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

import base64
import json
import random
import subprocess
import tempfile

import numpy as np
import scipy.signal
import scipy.stats

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PROG = os.path.join(TOP, "bin", "twin-feature")
FAILED = 0

RATE = 12800.0
N = 4096
RPM = 1782.0
FR = RPM / 60
BALLS, BD, PD = 9, 7.94, 39.04
R = BD / PD
BPFO = BALLS / 2 * (1 - R) * FR
DEFECTS = {"bpfo": BALLS / 2 * (1 - R), "bpfi": BALLS / 2 * (1 + R),
           "bsf": PD / (2 * BD) * (1 - R * R),
           "2bsf": PD / BD * (1 - R * R), "ftf": 0.5 * (1 - R)}
BANDS = [("low", 10, 1000), ("high", 1000, 6000)]
ENV_LO, ENV_HI, ENV_TOL, HARM, FLOOR_HZ = 2000, 5000, 0.02, 3, 10


def ok(name):
    print("ok - " + name)


def notok(name, why):
    global FAILED
    FAILED = 1
    print("not ok - %s: %s" % (name, why))


def close(name, got, want, rel, absol=0.0):
    if got is None:
        notok(name, "missing (want %r)" % want)
    elif abs(got - want) <= rel * abs(want) + absol:
        ok("%s %.10g ~ %.10g" % (name, got, want))
    else:
        notok(name, "got %.17g, want %.17g" % (got, want))


def spec(path, lateness="0s"):
    s = {"version": 1, "tenant": "acme", "lateness": lateness,
         "iso20816": {"groups": {"2": {"rigid": [1.4, 2.8, 4.5]}}},
         "classes": {"test_pump": {
             "speed": {"rpm": RPM, "refine": True},
             "bearings": {"de": {"balls": BALLS, "ball_d": BD,
                                 "pitch_d": PD, "contact_deg": 0}},
             "iso": {"group": 2, "foundation": "rigid"},
             "channels": [
                 {"match": "vibration.*", "unit": "g",
                  "window": {"n": N, "hop": N // 2},
                  "features": ["time", "trend", "spectral", "envelope",
                               "vel_rms"],
                  "bands": [{"name": b[0], "lo": b[1], "hi": b[2]}
                            for b in BANDS],
                  "envelope": {"lo": ENV_LO, "hi": ENV_HI, "tol": ENV_TOL,
                               "harmonics": HARM, "floor_hz": FLOOR_HZ}},
                 {"match": "temperature.*", "unit": "degC",
                  "window": {"length": "60s", "hop": "60s"},
                  "features": ["trend", "time"]}]}}}
    with open(path, "w") as f:
        json.dump(s, f)


def signal(rng, n):
    t = np.arange(n) / RATE
    x = (0.05 * np.sin(2 * np.pi * FR * t + 0.3)
         + 0.02 * np.sin(2 * np.pi * 2 * FR * t + 1.1)
         + 0.01 * np.sin(2 * np.pi * 3 * FR * t + 2.0)
         + 0.02 * rng.standard_normal(n))
    # outer-race impacts ringing a 3.2 kHz resonance
    imp = np.zeros(n)
    period = RATE / BPFO
    k = 0.0
    while k < n:
        imp[int(k)] = 1.0
        k += period
    ring = np.exp(-np.arange(200) / 25.0) * np.sin(
        2 * np.pi * 3200 * np.arange(200) / RATE)
    x += 0.3 * np.convolve(imp, ring)[:n]
    return (x + 0.001).astype(np.float32).astype(np.float64)


def ts(ns):
    s, f = divmod(int(ns), 10**9)
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + \
        ".%09dZ" % f


T0 = 1795000000 * 10**9  # 2026-11-18T...


def records(x, blk, f32=False):
    out = []
    for i in range(0, len(x), blk):
        b = x[i:i + blk]
        r = {"kind": "sample", "ts": ts(T0 + round(i * 1e9 / RATE)),
             "tenant": "acme", "site": "s1", "asset": "P-9",
             "class": "test_pump", "channel": "vibration.de.x",
             "unit": "g"}
        if f32:
            r["v"] = base64.b64encode(
                b.astype("<f4").tobytes()).decode()
            r["rate_hz"] = RATE
            r["enc"] = "f32le"
        else:
            r["v"] = [float(v) for v in b]
            r["rate_hz"] = RATE
        r["src"] = "test:1"
        r["seq"] = i // blk + 1
        out.append(json.dumps(r))
    return out


def temp_records(rng):
    out = []
    vals = []
    for i in range(150):  # 2.5 minutes at 1 Hz
        v = round(40 + 0.01 * i + 0.2 * rng.standard_normal(), 3)
        vals.append(v)
        out.append(json.dumps({"kind": "sample",
                               "ts": ts(T0 + i * 10**9), "tenant": "acme",
                               "site": "s1", "asset": "P-9",
                               "class": "test_pump",
                               "channel": "temperature.bearing.de",
                               "unit": "degC", "v": v}))
    return out, vals


def run(specpath, lines):
    p = subprocess.run([PROG, "-q", "-s", specpath], input="\n".join(lines)
                       + "\n", capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def ref_features(x):
    f = {}
    m = x.mean()
    f["mean"] = m
    f["std"] = x.std()
    f["rms"] = np.sqrt(np.mean(x * x))
    f["peak"] = np.max(np.abs(x))
    f["p2p"] = np.ptp(x)
    f["crest"] = f["peak"] / f["rms"]
    f["kurtosis"] = scipy.stats.kurtosis(x, fisher=False)
    f["skewness"] = scipy.stats.skew(x)
    f["shape"] = f["rms"] / np.mean(np.abs(x))
    f["impulse"] = f["peak"] / np.mean(np.abs(x))
    f["clearance"] = f["peak"] / np.mean(np.sqrt(np.abs(x))) ** 2
    f["min"] = x.min()
    f["max"] = x.max()
    f["slope"] = np.polyfit(np.arange(len(x)) / RATE, x, 1)[0]
    n = len(x)
    w = scipy.signal.get_window("hann", n)   # periodic
    X = np.fft.rfft((x - m) * w)
    P = np.abs(X) ** 2
    fk = np.fft.rfftfreq(n, 1 / RATE)
    f["centroid"] = np.sum(fk[1:] * P[1:]) / np.sum(P[1:])
    f["peak_hz"] = fk[1 + np.argmax(P[1:])]
    for name, lo, hi in BANDS:
        sel = (fk >= lo) & (fk <= hi)
        sel[0] = False
        f["band_" + name] = np.sqrt(2 * P[sel].sum() / (n * np.sum(w * w)))
    amp = 2 * np.abs(X) / w.sum()
    df = RATE / n
    fr = search(np.abs(X), df, FR, 0.02)[1]   # speed from the 1x line
    f["speed_hz"] = fr
    for h in (1, 2, 3):
        f["x%d" % h] = search(amp, df, h * fr, 0.02)[0]
    sel = (fk >= 10) & (fk <= 1000)
    vel = np.abs(X[sel]) ** 2 * (9806.65 / (2 * np.pi * fk[sel])) ** 2
    f["vel_rms"] = np.sqrt(2 * vel.sum() / (n * np.sum(w * w)))
    # envelope: FFT band-pass of the raw (unwindowed) signal, then the
    # analytic signal by scipy.signal.hilbert, squared envelope spectrum.
    Y = np.fft.rfft(x - m)
    lo, hi = int(np.ceil(ENV_LO / df)), int(np.floor(ENV_HI / df))
    mask = np.zeros_like(Y)
    mask[lo:hi + 1] = 1
    xb = np.fft.irfft(Y * mask, n)
    env = np.abs(scipy.signal.hilbert(xb)) ** 2
    f["env_ms"] = env.mean()
    S = 2 * np.abs(np.fft.rfft((env - env.mean()) * w)) / w.sum()
    for d, mult in DEFECTS.items():
        asum = fsum = 0
        for h in range(1, HARM + 1):
            fd = mult * fr * h
            a, at, klo, khi = search(S, df, fd, ENV_TOL)
            fl = floor(S, df, klo, khi)
            if h == 1:
                f["env_" + d] = a
                f["env_%s_ratio" % d] = a / fl
                f["env_%s_hz" % d] = at
            asum += a
            fsum += fl
        f["env_%s_hratio" % d] = asum / fsum
    return f


def search(amp, df, f, tol):
    kc = int(np.floor(f / df + 0.5))
    lo = min(int(np.ceil(f * (1 - tol) / df)), kc)
    hi = max(int(np.floor(f * (1 + tol) / df)), kc)
    lo = max(lo, 1)
    k = lo + int(np.argmax(amp[lo:hi + 1]))
    # parabolic vertex through the peak bin and its neighbours
    a, b, c = amp[k - 1], amp[k], amp[k + 1]
    d = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    d = min(max(d, -0.5), 0.5)
    return amp[k], (k + d) * df, lo, hi


def floor(amp, df, lo, hi):
    w = max(int(np.ceil(FLOOR_HZ / df)), 8)
    a = max(lo - w, 1)
    b = min(hi + w, len(amp) - 1)
    nb = [amp[k] for k in range(a, b + 1) if k < lo or k > hi]
    return float(np.median(nb))


def main():
    rng = np.random.default_rng(4)
    tmp = tempfile.mkdtemp()
    sp = os.path.join(tmp, "spec.json")
    spec(sp)
    x = signal(rng, 5 * N // 2 + 100)  # 4 windows at hop N/2
    tl, tv = temp_records(rng)
    lines = records(x, 1000) + tl
    rc, out, err = run(sp, lines)
    if rc != 0:
        notok("twin-feature runs", "exit %d: %s" % (rc, err[:200]))
        return
    recs = [json.loads(l) for l in out.splitlines()]
    vib = [r for r in recs if r["channel"] == "vibration.de.x"]
    tmpr = [r for r in recs if r["channel"].startswith("temperature")]
    if len(vib) == 4:
        ok("4 vibration windows of %d at hop %d" % (N, N // 2))
    else:
        notok("4 vibration windows", "got %d" % len(vib))
    for i, r in enumerate(vib):
        seg = x[i * N // 2:i * N // 2 + N]
        ref = ref_features(seg)
        got = dict(r["f"])
        got["speed_hz"] = r.get("speed_hz")
        for k, want in ref.items():
            if k.endswith("_hz"):
                close("window %d %s" % (i, k), got.get(k), want, 0, 1e-9)
            elif k in ("mean", "std", "rms", "peak", "p2p", "crest",
                       "kurtosis", "skewness", "shape", "impulse",
                       "clearance", "min", "max", "slope"):
                close("window %d %s" % (i, k), got.get(k), want, 1e-9,
                      1e-15)
            else:
                close("window %d %s" % (i, k), got.get(k), want, 1e-7,
                      1e-15)
        extra = set(got) - set(ref)
        if extra:
            notok("window %d features" % i, "unchecked %s" % sorted(extra))
        want_start = T0 + round(i * (N // 2) * 1e9 / RATE)
        if r["window"]["start"] == ts(want_start).replace("000000Z", "Z") \
                or r["window"]["start"][:23] == ts(want_start)[:23]:
            ok("window %d start time" % i)
        else:
            notok("window %d start" % i, r["window"]["start"])
    # the defect line: outer race found within a bin of its frequency
    r = vib[0]["f"]
    if abs(r["env_bpfo_hz"] - BPFO) <= RATE / N and \
            r["env_bpfo_ratio"] > 5 * r["env_bpfi_ratio"]:
        ok("outer-race line at %.2f Hz (kinematic %.2f), ratio %.1f"
           % (r["env_bpfo_hz"], BPFO, r["env_bpfo_ratio"]))
    else:
        notok("outer-race line", "at %s ratio %s" %
              (r["env_bpfo_hz"], r["env_bpfo_ratio"]))
    iso = vib[0].get("iso_zone")
    v = vib[0]["f"]["vel_rms"]
    want = "A" if v <= 1.4 else "B" if v <= 2.8 else "C" if v <= 4.5 \
        else "D"
    if iso == want:
        ok("ISO zone %s for %.3f mm/s" % (iso, v))
    else:
        notok("ISO zone", "got %s want %s for %g" % (iso, want, v))
    # temperature: 60 s windows aligned to the minute
    tv = np.array(tv)
    t0s = T0 // 10**9
    first = (t0s // 60 + 1) * 60  # first full-minute window start
    if not tmpr:
        notok("temperature windows", "none")
    for r in tmpr:
        st = r["window"]["start"]
        import calendar
        import time as _t
        s = calendar.timegm(_t.strptime(st[:19], "%Y-%m-%dT%H:%M:%S"))
        sel = [(i, v) for i, v in enumerate(tv) if s <= t0s + i < s + 60]
        xs = np.array([v for _, v in sel])
        tt = np.array([t0s + i - s for i, _ in sel], dtype=float)
        g = r["f"]
        close("temperature %s n" % st, r["window"]["n"], len(xs), 0)
        close("temperature %s mean" % st, g["mean"], xs.mean(), 1e-12)
        close("temperature %s std" % st, g["std"], xs.std(), 1e-9)
        close("temperature %s min" % st, g["min"], xs.min(), 0)
        close("temperature %s max" % st, g["max"], xs.max(), 0)
        close("temperature %s slope" % st, g["slope"],
              np.polyfit(tt, xs, 1)[0], 1e-9, 1e-15)
        close("temperature %s kurtosis" % st, g["kurtosis"],
              scipy.stats.kurtosis(xs, fisher=False), 1e-9)
    if len(tmpr) >= 1:
        ok("temperature windows: %d" % len(tmpr))
    _ = first

    # f32le blocks: the same float32 values as text give the same bytes
    rc2, out2, _ = run(sp, records(x, 1000, f32=True) + tl)
    if rc2 == 0 and out2 == out:
        ok("f32le blocks give byte-identical output")
    else:
        notok("f32le blocks", "output differs (exit %d)" % rc2)
    # live, fed slowly in small pieces through a pipe: the same bytes
    import time
    p = subprocess.Popen([PROG, "-q", "-l", "-s", sp], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = ("\n".join(records(x, 1000) + tl) + "\n").encode()
    for i in range(0, len(data), 65536):
        p.stdin.write(data[i:i + 65536])
        p.stdin.flush()
        time.sleep(0.005)
    out6, _ = p.communicate()
    if p.returncode == 0 and out6.decode() == out:
        ok("live input in pieces gives byte-identical output")
    else:
        notok("live input", "output differs (exit %d)" % p.returncode)
    # determinism and lateness: shuffle blocks within 0.5 s, allow 1 s
    sp2 = os.path.join(tmp, "spec-late.json")
    spec(sp2, lateness="1s")
    lines = records(x, 1000)
    rnd = random.Random(7)
    shuffled = lines[:]
    for i in range(0, len(shuffled) - 3, 3):
        part = shuffled[i:i + 3]
        rnd.shuffle(part)
        shuffled[i:i + 3] = part
    rc3, out3, _ = run(sp2, lines)
    rc4, out4, _ = run(sp2, shuffled)
    vib_only = "\n".join(l for l in out.splitlines() if "vibration" in l)
    if rc3 == 0 and rc4 == 0 and out3 == out4 and shuffled != lines:
        ok("disorder within the allowed lateness: byte-identical output")
    else:
        notok("lateness", "outputs differ")
    def nospec(t):
        return "\n".join(json.dumps({k: v for k, v in json.loads(l).items()
                                     if k != "prov"})
                          for l in t.splitlines())
    if nospec(out3) == nospec(vib_only):
        ok("lateness changes nothing for ordered input")
    else:
        notok("lateness on ordered input", "output differs")
    # without lateness the same disorder is counted as late
    p = subprocess.run([PROG, "-s", sp], input="\n".join(shuffled) + "\n",
                       capture_output=True, text=True)
    import re
    m = re.search(r"gaps (\d+),.* late (\d+),", p.stderr)
    if m and int(m.group(2)) > 0 and int(m.group(1)) > 0:
        ok("disorder without lateness is reported (gaps %s, late %s)"
           % (m.group(1), m.group(2)))
    else:
        notok("disorder without lateness", "not reported: %s" % p.stderr)


main()
sys.exit(FAILED)
