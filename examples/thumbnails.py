#!/usr/bin/python3
"""One JPEG every SECONDS of a Kinesis Video stream's range, named by the
frame's producer time: what people ask GetImages for, without its 300 s
range and 5 images/s limits.

    thumbnails.py --stream NAME --start T --end T --every SECONDS -o DIR
                  [--endpoint-uri U] [--region R] [--width W]

Seek-based: the range is opened once, paused, and for each time
start + k x SECONDS an ACCURATE seek decodes the frame at that time (from
the key frame before it); nothing else of the range is fetched. Files are
DIR/YYYYmmddTHHMMSS.mmmZ.jpg by the producer time of the frame shown.
Needs python3-gi and GStreamer's base/good/bad/libav plugins; credentials
from the usual AWS chain (environment, ~/.aws, container, instance).
"""
import argparse
import datetime
import os
import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0")
    return value


def join_relative_times(argv):
    """--start -15m as --start=-15m: argparse takes '-15m' for an option."""
    out = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--start", "--end") and i + 1 < len(argv) and \
                argv[i + 1][:1] in "-+":
            out.append(argv[i] + "=" + argv[i + 1])
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stream", required=True)
    p.add_argument("--start", required=True,
                   help="ISO 8601, epoch seconds or -15m style")
    p.add_argument("--end", required=True)
    p.add_argument("--every", type=positive_seconds, required=True,
                   help="seconds")
    p.add_argument("-o", "--output", required=True, help="directory")
    p.add_argument("--endpoint-uri")
    p.add_argument("--region")
    p.add_argument("--fragment-selector-type", default="server")
    p.add_argument("--width", type=int, default=0,
                   help="scale to this width (default: as recorded)")
    return p.parse_args(join_relative_times(sys.argv[1:]))


def build(args):
    scale = ("videoscale ! video/x-raw,width=%d,pixel-aspect-ratio=1/1 ! "
             % args.width) if args.width else ""
    pipe = Gst.parse_launch(
        "kvamsrc name=src ! matroskademux ! decodebin ! videoconvert ! "
        + scale + "jpegenc ! appsink name=sink sync=false max-buffers=1")
    src = pipe.get_by_name("src")
    src.set_property("stream-name", args.stream)
    src.set_property("start-time", args.start)
    src.set_property("end-time", args.end)
    Gst.util_set_object_arg(src, "fragment-selector-type",
                            args.fragment_selector_type)
    if args.endpoint_uri:
        src.set_property("endpoint-uri", args.endpoint_uri)
    if args.region:
        src.set_property("region", args.region)
    return pipe


def wait_paused(pipe, bus):
    """Until PAUSED (prerolled) or an error, which is raised."""
    while True:
        msg = bus.timed_pop_filtered(
            60 * Gst.SECOND, Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
        if msg is None:
            raise RuntimeError("timed out waiting for the stream")
        if msg.type == Gst.MessageType.ERROR:
            raise RuntimeError(msg.parse_error()[0].message)
        return


def name_for(producer_ns):
    t = datetime.datetime.fromtimestamp(producer_ns / 1e9,
                                        tz=datetime.timezone.utc)
    return t.strftime("%Y%m%dT%H%M%S.") + "%03dZ.jpg" % (t.microsecond // 1000)


def main():
    args = parse_args()
    Gst.init(None)
    os.makedirs(args.output, exist_ok=True)
    pipe = build(args)
    sink = pipe.get_by_name("sink")
    bus = pipe.get_bus()
    base = []   # producer time of output time 0, from the first kvam-fragment

    def on_sync(_bus, msg):
        s = msg.get_structure()
        if (not base and msg.type == Gst.MessageType.ELEMENT
                and s.get_name() == "kvam-fragment"):
            base.append(s.get_value("producer-timestamp")
                        - s.get_value("timestamp"))
        return Gst.BusSyncReply.PASS

    bus.set_sync_handler(on_sync)
    try:
        pipe.set_state(Gst.State.PAUSED)
        wait_paused(pipe, bus)
        ok, duration = pipe.query_duration(Gst.Format.TIME)
        if not ok or duration <= 0:
            raise RuntimeError("the range's duration is unknown (a range of "
                               "more than about 1000 fragments): shorten it")
        step = int(args.every * Gst.SECOND)
        written = 0
        for target in range(0, duration, step):
            if not pipe.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH
                                    | Gst.SeekFlags.ACCURATE, target):
                raise RuntimeError("seek to %.3f s refused" % (target / 1e9))
            wait_paused(pipe, bus)
            sample = sink.emit("pull-preroll")
            if sample is None:
                break
            buf = sample.get_buffer()
            path = os.path.join(args.output, name_for(base[0] + buf.pts))
            with open(path, "wb") as f:
                f.write(buf.extract_dup(0, buf.get_size()))
            written += 1
            print(path, flush=True)
        print("%d thumbnails in %s" % (written, args.output), file=sys.stderr)
        return 0
    except RuntimeError as e:
        print("thumbnails.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        pipe.set_state(Gst.State.NULL)


if __name__ == "__main__":
    sys.exit(main())
