#!/usr/bin/env python3
"""score-reload.py - a running twin-score picks up a new production model
(after SIGHUP, and by itself between records), drops no record while it
does, and keeps scoring with the model it has when the new pointer names
an altered model."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP", os.path.join(HERE, "..", ".."))
BIN = os.path.join(TOP, "bin")
FIX = os.path.join(TOP, "tests", "cli", "twin-score", "fixtures")
failed = 0


def report(ok, name, why=""):
    global failed
    print(("ok - reload: %s" % name) if ok else
          ("not ok - reload: %s: %s" % (name, why)))
    failed |= not ok


def readline(p):
    # buffered reads and select() do not mix; main() sets an alarm instead
    return p.stdout.readline()


def main():
    signal.alarm(180)  # a hang is a failure, not a stuck test run
    tmp = tempfile.mkdtemp(prefix="twin-reload.")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp)
    return failed


def run(tmp):
    reg = os.path.join(tmp, "reg")
    shutil.copytree(os.path.join(FIX, "reg"), reg)
    acme = os.path.join(reg, "acme")
    a = open(os.path.join(acme, "production")).read().strip()
    gen = os.path.join(HERE, "score-fleet.py")
    hist = os.path.join(tmp, "h")
    with open(hist, "w") as fp:
        subprocess.run([sys.executable, gen, "gen", "--assets",
                        "F-201,F-202", "--weeks", "3", "--step-min", "120",
                        "--no-faults", "--seed", "24"], stdout=fp,
                       check=True)
    pol = os.path.join(tmp, "p.json")
    with open(pol, "w") as fp:
        json.dump({"tenant": "acme", "holdout": "7d",
                   "gate": {"max_false_alarms_per_asset_month": -1}}, fp)
    p = subprocess.run([os.path.join(BIN, "twin-retrain"), "-q", "-r", reg,
                        "-C", os.path.join(TOP, "examples", "plant1",
                                           "classes", "fan.json"),
                        "-P", pol, "train", hist], capture_output=True,
                       text=True)
    b = json.loads(p.stdout)["model_sha256"] if p.stdout else ""
    report(p.returncode == 10 and b != a,
           "a second model is stored beside production",
           "exit %d" % p.returncode)
    # windows of F-201 after the training range, five records each
    recs = []
    with open(os.path.join(tmp, "new"), "w") as fp:
        subprocess.run([sys.executable, gen, "gen", "--assets", "F-201",
                        "--weeks", "0.1", "--step-min", "120", "--no-faults",
                        "--seed", "25", "--start", "2026-09-22T00:00:00"],
                       stdout=fp, check=True)
    recs = open(os.path.join(tmp, "new")).read().splitlines()
    windows = [recs[i:i + 5] for i in range(0, len(recs), 5)]
    sc = subprocess.Popen([os.path.join(BIN, "twin-score"), "-l", "-r", reg,
                           "-T", "acme", "-d", "0"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, bufsize=1)

    def window(k):
        for line in windows[k]:
            sc.stdin.write(line + "\n")
        sc.stdin.flush()
        line = readline(sc)
        return json.loads(line)["prov"]["model_sha256"] if line else None

    def promote(sha):
        return subprocess.run([os.path.join(BIN, "twin-retrain"), "-q", "-r",
                               reg, "-T", "acme", "promote", sha]).returncode

    got = window(0)
    report(got == a, "first window scored with production", got)
    promote(b)
    sc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    got = window(1)
    report(got == b, "after promote and SIGHUP the new model scores", got)
    # an altered model named in the pointer: refused, the old one stays
    body = open(os.path.join(acme, "models", b + ".json")).read()
    body = body.replace('"rows":', '"rows" :')
    fake = hashlib.sha256(b"not the content").hexdigest()
    with open(os.path.join(acme, "models", fake + ".json"), "w") as fp:
        fp.write(body)
    with open(os.path.join(acme, "production.new"), "w") as fp:
        fp.write(fake + "\n")
    os.rename(os.path.join(acme, "production.new"),
              os.path.join(acme, "production"))
    sc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    got = window(2)
    report(got == b, "an altered model in the pointer is refused, "
           "scoring goes on with the model it had", got)
    # no signal: the pointer is looked at between records
    promote(a)
    n_ev = 300
    for i in range(n_ev):
        sc.stdin.write('{"kind":"event","ts":"2026-09-22T00:00:00.000Z",'
                       '"tenant":"acme","event":"tick","n":%d}\n' % i)
    sc.stdin.flush()
    seen = 0
    while seen < n_ev:
        line = readline(sc)
        if not line:
            break
        seen += json.loads(line)["kind"] == "event"
    got = window(3)
    report(seen == n_ev and got == a, "without a signal the change is seen "
           "within 256 records, and the 300 records between pass through",
           "%d events, model %s" % (seen, got))
    sc.stdin.close()
    rest = sc.stdout.read()
    err = sc.stderr.read()
    rc = sc.wait(timeout=20)
    report(rc == 0 and rest == "", "exit 0 with every window scored once",
           "exit %d, left %r" % (rc, rest[:100]))
    report("production keeps scoring with %s" % b[:12] in err,
           "the refusal is reported", err[:300])


if __name__ == "__main__":
    sys.exit(main())
