#!/usr/bin/env python3
"""spool-damage.py - twin-ingest on a damaged spool, each case exactly.

The spools are written here from the format in spool.h (an independent
writer, with its own CRC-32C), damaged on purpose, and drained with
`twin-ingest --spool DIR file:/dev/null`.  Stdout, stderr and the exit
status are compared exactly.
"""
import os
import stat
import struct
import subprocess
import sys
import tempfile

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
ING = os.path.join(TOP, "bin", "twin-ingest")
failed = False


def check(cond, name, why):
    global failed
    if cond:
        print("ok - " + name)
    else:
        failed = True
        print("not ok - %s: %s" % (name, why))


def crc32c_table():
    tab = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        tab.append(c)
    return tab


TAB = crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ TAB[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


RECS = [('{"kind":"raw","ts":"2026-11-21T10:00:0%d.000Z","tenant":"acme",'
         '"src":"test:damage","seq":%d,"tag":"Plant1/P-103/T","v":%d.25}' %
         (i, i, i)).encode() for i in range(1, 6)]


def make_spool(path, recs, tenant="acme"):
    """Write a spool holding recs, nothing committed; frame offsets."""
    os.mkdir(path, 0o700)
    with open(os.path.join(path, "SPOOL"), "w") as f:
        f.write("twin-spool 1\ntenant %s\n" % tenant)
    seg = bytearray(b"TWSPSEG1")
    offs = []
    for no, rec in enumerate(recs):
        offs.append(len(seg))
        mid = struct.pack("<IQ", len(rec), no)
        seg += struct.pack("<I", 0x5450534C) + mid
        seg += struct.pack("<I", crc32c(rec, crc32c(mid))) + rec
    with open(os.path.join(path, "0000000000000001.seg"), "wb") as f:
        f.write(seg)
    return offs


def drain(spool, tenant="acme"):
    p = subprocess.run([ING, "-q", "-T", tenant, "--spool", spool,
                        "file:/dev/null"], capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode()


def lines(recs):
    return b"".join(r + b"\n" for r in recs)


def stats_line(appended, delivered, damaged, dropped=(0, 0)):
    return ("twin-ingest: spool: %d appended, %d delivered, %d committed, "
            "%d dropped oldest, %d dropped newest, %d damaged, 0 bytes "
            "pending\n" % (appended, delivered, delivered, dropped[0],
                           dropped[1], damaged))


def main():
    if not os.access(ING, os.X_OK):
        print("skip - spool-damage: bin/twin-ingest not built")
        return 0
    usage = subprocess.run([ING, "-h"], capture_output=True).stdout
    if b"--spool" not in usage:
        print("skip - spool-damage: twin-ingest has no --spool yet")
        return 0
    tmp = tempfile.mkdtemp(prefix="twin-spool-damage.")
    try:
        run_cases(tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    return 1 if failed else 0


def run_cases(tmp):
    # An intact spool written by this test is read back by twin-ingest.
    d = os.path.join(tmp, "intact")
    make_spool(d, RECS)
    rc, out, err = drain(d)
    check(rc == 0 and out == lines(RECS) and err == "",
          "a spool in the documented format drains byte for byte",
          "exit %d, stderr %r" % (rc, err))
    rc, out, err = drain(d)
    check(rc == 0 and out == b"", "a drained spool is empty next time",
          "exit %d, %d bytes" % (rc, len(out)))

    # A torn tail: the last record cut short.
    d = os.path.join(tmp, "torn")
    offs = make_spool(d, RECS)
    seg = os.path.join(d, "0000000000000001.seg")
    size = os.path.getsize(seg)
    os.truncate(seg, size - 7)
    rc, out, err = drain(d)
    want = ("twin-ingest: spool '%s': segment 0000000000000001.seg offset "
            "%d: torn record at the end, %d bytes skipped\n" %
            (d, offs[4], size - 7 - offs[4])) + stats_line(0, 4, 1)
    check(out == lines(RECS[:4]), "torn tail: the 4 whole records delivered",
          "got %r" % out[-60:])
    check(err == want, "torn tail: reported with its position",
          "stderr %r" % err)
    check(rc == 1, "torn tail: exit 1 (bad data)", "exit %d" % rc)

    # A flipped byte in the middle: records before and after survive.
    d = os.path.join(tmp, "flip")
    offs = make_spool(d, RECS)
    seg = os.path.join(d, "0000000000000001.seg")
    with open(seg, "r+b") as f:
        f.seek(offs[2] + 40)
        b = f.read(1)
        f.seek(offs[2] + 40)
        f.write(bytes([b[0] ^ 0x01]))
    rc, out, err = drain(d)
    want = ("twin-ingest: spool '%s': segment 0000000000000001.seg offset "
            "%d: bad frame, %d bytes skipped\n" %
            (d, offs[2], offs[3] - offs[2])) + stats_line(0, 4, 1)
    check(rc == 1 and out == lines(RECS[:2] + RECS[3:]),
          "flipped byte: records 1, 2, 4, 5 delivered, exit 1",
          "exit %d, got %r" % (rc, out))
    check(err == want, "flipped byte: reported with its position",
          "stderr %r" % err)

    # Another tenant's spool is refused before anything is read.
    d = os.path.join(tmp, "tenant")
    make_spool(d, RECS, tenant="globex")
    rc, out, err = drain(d)
    want = ("twin-ingest: spool '%s' belongs to tenant 'globex', not "
            "'acme'\n" % d)
    check(rc == 3 and out == b"" and err == want,
          "another tenant's spool: refused, exit 3",
          "exit %d, stderr %r" % (rc, err))

    # A new spool: directory 0700, files 0600, whatever the umask.
    d = os.path.join(tmp, "fresh")
    old = os.umask(0)
    try:
        rc, out, err = drain(d)
    finally:
        os.umask(old)
    modes = {n: stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode)
             for n in os.listdir(d)}
    check(rc == 0 and stat.S_IMODE(os.stat(d).st_mode) == 0o700 and
          modes and all(m == 0o600 for m in modes.values()),
          "new spool: directory 0700, files 0600 under umask 0",
          "exit %d, dir %o, files %r" %
          (rc, stat.S_IMODE(os.stat(d).st_mode), modes))


if __name__ == "__main__":
    sys.exit(main())
