#!/usr/bin/python3
"""ingest-fault.py - the simulator's faults seen with an independent
numpy/scipy analysis: a bearing fault shows its defect line in the
envelope spectrum at the frequency the bearing's kinematics give for the
shaft speed the simulator reports; shaft faults raise their orders."""
import json
import os
import subprocess
import sys

try:
    import numpy as np
except ImportError:
    # tests/run calls the python3 on PATH; numpy is Debian's, in /usr/bin.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise
from scipy.signal import butter, hilbert, sosfiltfilt

TOP = os.environ.get("TOP", os.path.join(os.path.dirname(__file__), "..", ".."))
ING = os.path.join(TOP, "bin", "twin-ingest")
failed = False


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok - %s" % name)
    else:
        failed = True
        print("not ok - %s: %s" % (name, why))


def sim(spec):
    out = subprocess.run([ING, "-T", "acme", "sim:" + spec],
                         capture_output=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def block_at(recs, tag, ts):
    for r in recs:
        if r["tag"] == tag and r["ts"] == ts:
            return np.array(r["v"], dtype=float), r["rate_hz"]
    raise KeyError(tag)


def scalar_at(recs, tag, ts):
    for r in recs:
        if r["tag"] == tag and r["ts"] == ts:
            return r["v"]
    raise KeyError(tag)


def envelope_spectrum(x, fs):
    sos = butter(4, [2000, 5000], btype="band", fs=fs, output="sos")
    env = np.abs(hilbert(sosfiltfilt(sos, x)))
    env -= env.mean()
    spec = np.abs(np.fft.rfft(env * np.hanning(len(env))))
    return np.fft.rfftfreq(len(env), 1 / fs), spec


def order_amp(x, fs, f):
    """Peak amplitude of the component nearest f (Hann window)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) * 4 / len(x)
    freqs = np.fft.rfftfreq(len(x), 1 / fs)
    band = (freqs > f - 1.5) & (freqs < f + 1.5)
    return spec[band].max()


# SKF 6205: 9 balls, 7.94 mm, pitch 39.04 mm, contact angle 0.
N, D_BALL, D_PITCH = 9, 7.94, 39.04
K = D_BALL / D_PITCH
TAG = "Plant1/Line1/Motor01/VIB_DE_X"
SPEED = "Plant1/Line1/Motor01/SPEED"
TS = "2026-11-01T01:00:00.000Z"
BASE = "duration=2h&block=1h&blocklen=4s&assets=M-101,M-102&seed=11"

for kind, want in (("bearing_outer_race", lambda fr: N / 2 * fr * (1 - K)),
                   ("bearing_inner_race", lambda fr: N / 2 * fr * (1 + K)),
                   ("bearing_ball",
                    lambda fr: 2 * D_PITCH / (2 * D_BALL) * fr * (1 - K * K))):
    recs = sim(BASE + "&fault=M-101:%s@+0s/1h" % kind)
    x, fs = block_at(recs, TAG, TS)
    fr = scalar_at(recs, SPEED, TS) / 60
    f, s = envelope_spectrum(x, fs)
    m = (f > 20) & (f < 400)
    peak = f[m][np.argmax(s[m])]
    fd = want(fr)
    check("%s: envelope line at %.2f Hz, kinematics say %.2f Hz"
          % (kind, peak, fd), abs(peak - fd) < 0.5,
          "peak %.2f Hz, expected %.2f Hz" % (peak, fd))
    near = s[np.abs(f - fd) < 0.5].max()
    check("%s: line stands well above the envelope floor" % kind,
          near > 8 * np.median(s[m]), "ratio %.1f" % (near / np.median(s[m])))
    if kind == "bearing_inner_race":
        side = s[np.abs(f - (fd + fr)) < 0.5].max()
        check("inner race: shaft-rate sideband present",
              side > 3 * np.median(s[m]), "ratio %.1f" % (side / np.median(s[m])))
    # the healthy motor of the same run shows no such line
    y, _ = block_at(recs, "PLANT1.L2.M102.VIB_DE_X", TS)
    f2, s2 = envelope_spectrum(y / 9.80665, fs)
    fr2 = scalar_at(recs, "PLANT1.L2.M102.SPEED_HZ", TS)
    fd2 = want(fr2)
    near2 = s2[np.abs(f2 - fd2) < 0.5].max()
    check("%s: healthy motor has no defect line" % kind,
          near2 < 4 * np.median(s2[m]), "ratio %.1f" % (near2 / np.median(s2[m])))
    k = ((x - x.mean()) ** 4).mean() / x.var() ** 2
    check("%s: impacts raise kurtosis (%.1f)" % (kind, k), k > 5, "%.2f" % k)

healthy = sim(BASE)
xh, fs = block_at(healthy, TAG, TS)
frh = scalar_at(healthy, SPEED, TS) / 60
kh = ((xh - xh.mean()) ** 4).mean() / xh.var() ** 2
check("healthy block is near Gaussian (kurtosis %.2f)" % kh, 2.6 < kh < 3.4)
rms = np.sqrt((xh ** 2).mean())
check("healthy RMS is plausible (%.3f g)" % rms, 0.03 < rms < 0.15)

for kind, order, factor in (("imbalance", 1, 3), ("misalignment", 2, 3)):
    recs = sim(BASE + "&fault=M-101:%s@+0s/1h" % kind)
    x, fs = block_at(recs, TAG, TS)
    fr = scalar_at(recs, SPEED, TS) / 60
    a = order_amp(x, fs, order * fr)
    a0 = order_amp(xh, fs, order * frh)
    check("%s grows the %dx component (%.4f -> %.4f g)" % (kind, order, a0, a),
          a > factor * a0)

recs = sim(BASE + "&fault=M-101:looseness@+0s/1h")
x, fs = block_at(recs, TAG, TS)
fr = scalar_at(recs, SPEED, TS) / 60
a = order_amp(x, fs, 0.5 * fr)
a0 = order_amp(xh, fs, 0.5 * frh)
check("looseness brings a half-order component", a > 3 * a0,
      "%.4f vs %.4f" % (a, a0))

recs = sim("duration=2h&block=1h&assets=P-101&seed=2&fault=P-101:cavitation@+0s/1h")
sp = [r["v"] for r in recs if r["tag"].endswith("PRESS_SUCT")]
check("cavitation lowers and unsettles suction pressure",
      np.mean(sp[-20:]) < np.mean(sp[:5]) - 0.3 and np.std(sp[-20:]) > 0.05,
      "%s %s" % (np.mean(sp[:5]), np.mean(sp[-20:])))
sys.exit(1 if failed else 0)
