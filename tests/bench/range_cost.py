#!/usr/bin/python3
"""Cost against range length (issue 25): kvamsrc ! matroskademux ! fakesink
on 1 h, 6 h and 24 h of 2 s fragments from a local kvs-emulator (short
ListFragments pages, as the API allows), uncapped. Each run is checked: EOS,
every fragment delivered, the last frame at the range's end. Prints wall and
CPU seconds per run and per hour of media, and the ratio of the 24 h run to
24 times the 1 h run (target: at most 2; it was quadratic while every
fragment's Tags reached matroskademux). Loopback only; run by hand:

    /usr/bin/python3 tests/bench/range_cost.py [BUILD_DIR] [HOURS,...] [ROUNDS]
"""
import os
import resource
import statistics
import subprocess
import sys
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
hours = [float(h) for h in (sys.argv[2] if len(sys.argv) > 2
                            else "1,6,24").split(",")]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
start = 1764000000
os.environ.update(GST_PLUGIN_PATH=os.path.join(build, "gst"),
                  AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                  AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                  AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
Gst.init(None)
fragments = int(max(hours) * 1800)
emu = subprocess.Popen([os.path.join(build, "tests/emulator/kvs-emulator"),
                        "--synthetic", "cam:%d:2:64x48" % fragments,
                        "--start-time", str(start), "--no-rate-limit",
                        "--short-pages", "200"],
                       stdout=subprocess.PIPE, text=True)
port = next(line.split()[1] for line in emu.stdout if line.startswith("PORT"))


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def play(h):
    n = int(h * 1800)
    end = start + 2 * n - 1
    pipe = Gst.parse_launch(
        "kvamsrc name=src stream-name=cam start-time=%d end-time=%d "
        "fragment-selector-type=producer endpoint-uri=http://127.0.0.1:%s ! "
        "matroskademux ! fakesink name=sink sync=false" % (start, end, port))
    c0, t0 = cpu(), time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(
        3600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    wall, used = time.monotonic() - t0, cpu() - c0
    stats = pipe.get_by_name("src").get_property("stats")
    sample = pipe.get_by_name("sink").get_property("last-sample")
    pipe.set_state(Gst.State.NULL)
    if not msg or msg.type != Gst.MessageType.EOS:
        sys.exit("%.0f h: no EOS (%s)" % (h, msg.parse_error()[0].message
                                          if msg else "timed out"))
    delivered = stats.get_value("fragments-delivered")
    last = sample.get_buffer().pts if sample else 0
    # the last frame is the last fragment's: 40 ms before the range's end
    if delivered != n or abs(last - 2 * n * Gst.SECOND) > Gst.SECOND:
        sys.exit("%.0f h: %d of %d fragments, last frame at %.3f s" %
                 (h, delivered, n, last / Gst.SECOND))
    return wall, used


results = {}
for h in hours:
    runs = [play(h) for _ in range(rounds)]
    wall = statistics.median(r[0] for r in runs)
    used = statistics.median(r[1] for r in runs)
    results[h] = (wall, used)
    print("%5.1f h: wall %.2f s, CPU %.2f s (medians of %d); per hour: wall "
          "%.3f s, CPU %.3f s" % (h, wall, used, rounds, wall / h, used / h),
          flush=True)
emu.terminate()
lo, hi = min(hours), max(hours)
if lo != hi:
    for i, name in ((0, "wall"), (1, "CPU")):
        ratio = results[hi][i] / (results[lo][i] * hi / lo)
        print("%s: %.0f h run / (%.0f x the %.0f h run) = %.2f (target <= 2)"
              % (name, hi, hi / lo, lo, ratio))
