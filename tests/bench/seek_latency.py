#!/usr/bin/python3
"""Seek latency (issue 11): from a pipeline seek to the first decoded frame,
kvamsrc ! matroskademux ! h264parse ! avdec_h264 ! fakesink, against a local
kvs-emulator answering every request 20 ms late (--latency 20) in short
ListFragments pages (an hour is many pages, as the API allows). Each seek
is checked: a KEY_UNIT seek must show the key frame at or before its target
(fragments of 2 s start with one), or it counts as missed and the run
fails. Prints the median and the longest of SEEKS seeks to spread-out
targets (the first one also fetches the Cues). Loopback only; run by hand:

    /usr/bin/python3 tests/bench/seek_latency.py [BUILD_DIR] [SEEKS]
"""
import os
import random
import statistics
import subprocess
import sys
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
seeks = int(sys.argv[2]) if len(sys.argv) > 2 else 20
fragments = 1800                      # an hour of 2 s fragments
os.environ.update(GST_PLUGIN_PATH=os.path.join(build, "gst"),
                  AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                  AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                  AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
Gst.init(None)
emu = subprocess.Popen([os.path.join(build, "tests/emulator/kvs-emulator"),
                        "--synthetic", "cam:%d:2:320x240" % fragments,
                        "--start-time", "1764000000", "--latency", "20",
                        "--short-pages", "200"],
                       stdout=subprocess.PIPE, text=True)
port = next(line.split()[1] for line in emu.stdout if line.startswith("PORT"))
pipe = Gst.parse_launch(
    "kvamsrc stream-name=cam start-time=1764000000 end-time=%d "
    "fragment-selector-type=producer endpoint-uri=http://127.0.0.1:%s ! "
    "matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink sync=false"
    % (1764000000 + 2 * fragments - 1, port))
first = []


def probe(pad, info):
    if not first:
        first.append((time.monotonic(), info.get_buffer().pts))
    return Gst.PadProbeReturn.OK


pipe.get_by_name("sink").get_static_pad("sink").add_probe(
    Gst.PadProbeType.BUFFER, probe)
pipe.set_state(Gst.State.PAUSED)
pipe.get_state(60 * Gst.SECOND)
rng = random.Random(7)
lat = []
missed = []
for i in range(seeks):
    target = rng.uniform(0, 2 * fragments - 10)
    first.clear()
    t0 = time.monotonic()
    if not pipe.seek_simple(Gst.Format.TIME,
                            Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT,
                            int(target * Gst.SECOND)):
        print("seek to %.1f s refused" % target)
        continue
    while not first and time.monotonic() < t0 + 10:
        time.sleep(0.001)
    lat.append((first[0][0] if first else time.monotonic()) - t0)
    want = int(target // 2) * 2 * Gst.SECOND
    got = first[0][1] if first else None
    if got != want:
        missed.append("%.1f s landed at %s" % (
            target, "nothing" if got is None else "%.3f s" % (got / Gst.SECOND)))
pipe.set_state(Gst.State.NULL)
emu.terminate()
print("seek to first decoded frame, %d seeks in a %d-fragment range, 20 ms "
      "per request: median %.3f s, first (fetches the Cues) %.3f s, longest "
      "%.3f s (target: under 0.5 s)" % (len(lat), fragments,
                                        statistics.median(lat), lat[0],
                                        max(lat)))
print("landed on the key frame at or before the target: %d of %d" %
      (len(lat) - len(missed), len(lat)))
if missed:
    sys.exit("missed: " + "; ".join(missed))
