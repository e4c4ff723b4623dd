#!/usr/bin/python3
"""Live lag (issue 12): how long after a fragment becomes listable kvamsrc
delivers it, following a stream a local kvs-emulator grows (--live, 2 s
fragments, 20 ms added per request, every 5th fragment listed a second
late). kvamsrc playback-mode=live ! matroskademux ! fakesink; a fragment
is delivered when its kvam-fragment message is posted (with the buffer of
its first frame), and listable at its server timestamp (a second later
for the late ones), by the emulator's clock, which is this machine's.
Prints the median and the longest lag beside AWS's HLS figure. Then plays
the stream live for SYNC_SECONDS through avdec_h264 ! fakesink sync=true
qos=true and counts the QoS messages (late frames) and how far the position
moved against the wall clock. Loopback only; run by hand:

    /usr/bin/python3 tests/bench/live_lag.py [BUILD_DIR] [SECONDS] [SYNC_SECONDS]
"""
import os
import statistics
import subprocess
import sys
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 120
sync_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60
fragment = 2.0
late_every = 5
os.environ.update(GST_PLUGIN_PATH=os.path.join(build, "gst"),
                  AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                  AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                  AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
Gst.init(None)
start = int(time.time()) - 10
count = int((seconds + sync_seconds + 60) / fragment)
emu = subprocess.Popen([os.path.join(build, "tests/emulator/kvs-emulator"),
                        "--live", "--start-time", str(start),
                        "--synthetic", "cam:%d:2:320x240" % count,
                        "--late-list", "%d:1000" % late_every,
                        "--latency", "20"],
                       stdout=subprocess.PIPE, text=True)
port = next(line.split()[1] for line in emu.stdout if line.startswith("PORT"))
pipe = Gst.parse_launch(
    "kvamsrc name=src stream-name=cam playback-mode=live "
    "endpoint-uri=http://127.0.0.1:%s ! matroskademux ! fakesink sync=false"
    % port)
delivered = []          # (wall time, producer ns, server ns)


def on_sync(bus, msg):
    s = msg.get_structure()
    if msg.type == Gst.MessageType.ELEMENT and s.get_name() == "kvam-fragment":
        delivered.append((time.time(), s.get_value("producer-timestamp"),
                          s.get_value("server-timestamp")))
    elif msg.type == Gst.MessageType.ERROR:
        print("error:", msg.parse_error()[0].message)
    return Gst.BusSyncReply.PASS


bus = pipe.get_bus()
bus.set_sync_handler(on_sync)
began = time.time()
pipe.set_state(Gst.State.PLAYING)
time.sleep(seconds)
pipe.set_state(Gst.State.NULL)

lags = []
for wall, producer, server in delivered:
    index = round((producer / 1e9 - start) / fragment)
    listable = server / 1e9 + (1.0 if index % late_every == late_every - 1
                               else 0.0)
    if listable > began + 1:            # not the one live started with
        lags.append(wall - listable)
lags.sort()
print("live lag over %.0f s: %d fragments followed (every %dth listed 1 s "
      "late), from listable to delivered: median %.3f s, max %.3f s"
      % (seconds, len(lags), late_every, statistics.median(lags), lags[-1]))
print("AWS HLS LIVE (documented): 2-3 fragment lengths behind = %.0f-%.0f s "
      "for %.0f s fragments, after the fragment is listable"
      % (2 * fragment, 3 * fragment, fragment))
print("ratio of kvamsrc's median to HLS's lower figure: %.2f"
      % (statistics.median(lags) / (2 * fragment)))

qos = []
pipe = Gst.parse_launch(
    "kvamsrc stream-name=cam playback-mode=live "
    "endpoint-uri=http://127.0.0.1:%s ! matroskademux ! h264parse ! "
    "avdec_h264 ! fakesink name=sink sync=true qos=true" % port)


def on_qos(bus, msg):
    if msg.type == Gst.MessageType.QOS:
        qos.append(msg)
    return Gst.BusSyncReply.PASS


pipe.get_bus().set_sync_handler(on_qos)
pipe.set_state(Gst.State.PLAYING)
time.sleep(5)
t1, p1 = time.monotonic(), pipe.query_position(Gst.Format.TIME)[1]
time.sleep(sync_seconds)
t2, p2 = time.monotonic(), pipe.query_position(Gst.Format.TIME)[1]
pipe.set_state(Gst.State.NULL)
emu.terminate()
emu.wait()
print("live, decoded, synced sink: %d QoS messages over %.0f s; position "
      "moved %.3f s in %.3f s of wall time"
      % (len(qos), sync_seconds + 5, (p2 - p1) / 1e9, t2 - t1))
