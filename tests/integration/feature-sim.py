#!/usr/bin/python3
"""feature-sim.py - the example plant's simulated outer-race fault.

twin-ingest's simulator runs pumps P-101..P-103 for four weeks with an
outer-race fault growing on P-103 from 2026-11-10 over 14 days; twin-map
maps the tags with examples/plant1/tagmap.json and twin-feature computes
features with examples/plant1/features.json.  Checks: the envelope line
is found at the bearing's BPFO at the running speed (the simulator uses
the same SKF 6205 geometry), P-103's BPFO line grows week by week to many
times its first-week level, while the healthy pumps stay flat.
"""
import os
import sys

if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

import json
import statistics
import subprocess

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(TOP, "bin")
EX = os.path.join(TOP, "examples", "plant1")
SIM = ("sim:seed=1&start=2026-11-01&duration=28d&assets=P-101,P-102,P-103"
       "&fault=P-103:bearing_outer_race@2026-11-10/14d&block=12h&scalar=1h")
BPFO_X = 9 / 2 * (1 - 7.94 / 39.04)
FAILED = 0


def ok(m):
    print("ok - " + m)


def notok(m, why):
    global FAILED
    FAILED = 1
    print("not ok - %s: %s" % (m, why))


def main():
    for p in ("twin-ingest", "twin-map"):
        if not os.access(os.path.join(BIN, p), os.X_OK):
            print("skip - feature-sim: twin-ingest sim not available yet")
            return
    if not os.path.exists(os.path.join(EX, "tagmap.json")):
        print("skip - feature-sim: examples/plant1/tagmap.json missing")
        return
    ing = subprocess.Popen([os.path.join(BIN, "twin-ingest"), "-q", "-T",
                            "acme", SIM], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    mp = subprocess.Popen([os.path.join(BIN, "twin-map"), "-q", "-T", "acme",
                           "-m", os.path.join(EX, "tagmap.json")],
                          stdin=ing.stdout, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    ing.stdout.close()
    fe = subprocess.run([os.path.join(BIN, "twin-feature"), "-q", "-s",
                         os.path.join(EX, "features.json")],
                        stdin=mp.stdout, capture_output=True, text=True)
    mp.stdout.close()
    ie = ing.wait()
    me = mp.wait()
    if ie != 0 and b"sim" in ing.stderr.read():
        print("skip - feature-sim: twin-ingest sim not available yet")
        return
    if ie != 0 or me != 0 or fe.returncode != 0:
        notok("simulated plant pipeline", "exit %d/%d/%d: %s" %
              (ie, me, fe.returncode, fe.stderr[:200]))
        return
    week = {}
    hz_off = []
    for l in fe.stdout.splitlines():
        r = json.loads(l)
        if r["channel"] != "vibration.de.x":
            continue
        day = int(r["ts"][8:10]) - 1
        week.setdefault(r["asset"], {}).setdefault(day // 7, []).append(
            r["f"]["env_bpfo"])
        if r["asset"] == "P-103" and day >= 21:
            hz_off.append(abs(r["f"]["env_bpfo_hz"] -
                              BPFO_X * r["speed_hz"]))
    if sorted(week) != ["P-101", "P-102", "P-103"]:
        notok("vibration features of three pumps", "got %s" % sorted(week))
        return
    med = {a: [statistics.median(week[a][w]) for w in sorted(week[a])]
           for a in week}
    for a in sorted(med):
        print("# %s weekly median env_bpfo (g^2): %s" %
              (a, " ".join("%.5f" % v for v in med[a])))
    m = med["P-103"]
    if len(m) == 4 and m[1] > m[0] * 0.5 and m[2] > 5 * m[0] and \
            m[3] > 50 * m[0] and m[3] >= m[2]:
        ok("P-103 BPFO line grows over the weeks: %.2gx then %.3gx "
           "the first week" % (m[2] / m[0], m[3] / m[0]))
    else:
        notok("P-103 BPFO growth", "weekly medians %s" % m)
    for a in ("P-101", "P-102"):
        v = med[a]
        if max(v) < 2 * min(v) and max(v) < m[3] / 50:
            ok("%s stays flat: weekly medians within %.2fx" %
               (a, max(v) / min(v)))
        else:
            notok("%s flat" % a, "weekly medians %s" % v)
    if hz_off and max(hz_off) <= 1.5:
        ok("P-103 line at BPFO of the running speed (within %.2f Hz, "
           "1 Hz bins)" % max(hz_off))
    else:
        notok("P-103 BPFO frequency", "offsets %s" % hz_off[:5])


main()
sys.exit(FAILED)
