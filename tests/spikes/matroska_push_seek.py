#!/usr/bin/python3
"""Spike (issue 11): can the stock matroskademux of GStreamer 1.22, fed in
push mode by a BYTES-seekable source, seek a kvamsrc-style stream?

Design under test: kvamsrc's output gets a SeekHead pointing at a Cues
element, Cues with one CuePoint per fragment pointing at a *virtual* byte
position of that fragment's first cluster (fragment k at k x 1 GiB, the
Cues after the last), and Info with a Duration. On a BYTES seek to such a
position the source serves the Cues, or that fragment's Tags and clusters
and then the following fragments, contiguously. matroskademux (push mode)
reads the Cues through a BYTES seek on its first TIME seek, then asks for a
BYTES seek to the cluster of the target.

Here kvamsrc's real output (merged from kvs-emulator, all local) is cut
into its fragments and served from an appsrc (stream-type=seekable) that
plays that role. Usage: tests/spikes/matroska_push_seek.py BUILD_DIR
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp, GLib  # noqa: E402

STRIDE = 1 << 30
build = sys.argv[1] if len(sys.argv) > 1 else "build"


def vint(n, width=8):
    return bytes([1 << (8 - width)]) + n.to_bytes(width, "big")[1:] if width > 1 else bytes([0x80 | n])


def el(idb, payload):
    return idb + vint(len(payload)) + payload


def uint(idb, v, width=8):
    return el(idb, v.to_bytes(width, "big"))


def read_header(d, p):
    """EBML element header at p: (id bytes, size or None, header length)."""
    first = d[p]
    idlen = 1 if first & 0x80 else 2 if first & 0x40 else 3 if first & 0x20 else 4
    idb = d[p:p + idlen]
    s0 = d[p + idlen]
    slen = next(i for i in range(8) if s0 & (0x80 >> i)) + 1
    size = s0 & (0xFF >> slen)
    for b in d[p + idlen + 1:p + idlen + slen]:
        size = (size << 8) | b
    if size == (1 << (7 * slen)) - 1:
        size = None
    return idb, size, idlen + slen


def split_merged(d):
    """kvamsrc output -> (EBML header, Info, Tracks, [fragment groups]).
    A group is the fragment's Tags then its clusters; returns for each group
    (bytes, offset of its first Cluster in it, first cluster timecode ms)."""
    p = 0
    idb, size, hl = read_header(d, p)
    ebml = d[p:p + hl + size]
    p += hl + size
    idb, size, hl = read_header(d, p)   # Segment, unknown size
    assert idb == b"\x18\x53\x80\x67"
    p += hl
    info = tracks = None
    groups, cur = [], None
    while p < len(d):
        idb, size, hl = read_header(d, p)
        if idb == b"\x1f\x43\xb6\x75":   # Cluster, unknown size: to the next top-level ID
            q = p + hl
            while q < len(d):
                cid, csize, chl = read_header(d, q)
                if cid in (b"\x1f\x43\xb6\x75", b"\x12\x54\xc3\x67", b"\x16\x54\xae\x6b"):
                    break
                if cid == b"\xe7" and cur is not None and cur[2] is None:
                    cur[2] = int.from_bytes(d[q + chl:q + chl + csize], "big")
                q += chl + csize
            if cur[1] is None:
                cur[1] = len(cur[0])
            cur[0] += d[p:q]
            p = q
            continue
        elem = d[p:p + hl + size]
        if idb == b"\x15\x49\xa9\x66":
            info = elem
        elif idb == b"\x16\x54\xae\x6b":
            tracks = elem
        elif idb == b"\x12\x54\xc3\x67":
            cur = [bytearray(elem), None, None]
            groups.append(cur)
        p += hl + size
    return ebml, info, tracks, [(bytes(g[0]), g[1], g[2]) for g in groups]


def build_virtual(ebml, info, tracks, groups, duration_ms):
    seg_start = len(ebml) + 12
    # positions relative to the Segment's data, as Matroska counts them
    cues_pos = STRIDE * (len(groups) + 1)
    seekhead = el(b"\x11\x4d\x9b\x74", el(b"\x4d\xbb", el(b"\x53\xab", b"\x1c\x53\xbb\x6b") + uint(b"\x53\xac", cues_pos)))
    # Info with a Duration (float, ms)
    info_payload = info[read_header(info, 0)[2]:] + b"\x44\x89\x88" + struct.pack(">d", float(duration_ms))
    info2 = el(b"\x15\x49\xa9\x66", info_payload)
    header = ebml + b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + seekhead + info2 + tracks
    regions = []          # (absolute start, bytes)
    cues = b""
    for k, (g, cl, tc) in enumerate(groups):
        if k == 0:
            start = len(header)     # contiguous after the header
        else:
            start = seg_start + STRIDE * k - cl
        regions.append((start, g))
        cuepoint = uint(b"\xb3", tc) + el(b"\xb7", uint(b"\xf7", 1) + uint(b"\xf1", start + cl - seg_start))
        cues += el(b"\xbb", cuepoint)
    cues = el(b"\x1c\x53\xbb\x6b", cues)
    return header, regions, (seg_start + cues_pos, cues)


class VirtualSource:
    """Serves the virtual byte space from a seek position on: the piece
    that holds it, then the following fragments, contiguously."""

    def __init__(self, header, regions, cues):
        self.header, self.regions, self.cues = header, regions, cues
        self.seeks = []
        self.queue = []

    def seek(self, pos):
        self.seeks.append(pos)
        if pos < len(self.header):
            self.queue = [self.header[pos:]] + [g for _, g in self.regions]
            return True
        if pos >= self.cues[0]:
            self.queue = [self.cues[1][pos - self.cues[0]:]]
            return True
        for k, (start, g) in enumerate(self.regions):
            if start <= pos < start + len(g):
                self.queue = [g[pos - start:]] + [g2 for _, g2 in self.regions[k + 1:]]
                return True
        print("spike: seek to %d hits no region" % pos)
        self.queue = []
        return False

    def next_chunk(self, n=65536):
        while self.queue and not self.queue[0]:
            self.queue.pop(0)
        if not self.queue:
            return None
        c, self.queue[0] = self.queue[0][:n], self.queue[0][n:]
        return c


def run_emulator_and_kvamsrc(tmp):
    emu = subprocess.Popen([os.path.join(build, "tests/emulator/kvs-emulator"),
                            "--synthetic", "cam:10:2:160x120", "--start-time",
                            "2026-11-24T10:00:00Z", "--no-rate-limit"],
                           stdout=subprocess.PIPE, text=True)
    port = None
    for line in emu.stdout:
        if line.startswith("PORT"):
            port = line.split()[1]
            break
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "gst"),
               AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
               AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true")
    out = os.path.join(tmp, "merged.mkv")
    subprocess.run(["gst-launch-1.0", "-q", "kvamsrc", "stream-name=cam",
                    "start-time=2026-11-24T10:00:00Z",
                    "end-time=2026-11-24T10:00:19Z",
                    "fragment-selector-type=producer",
                    "endpoint-uri=http://127.0.0.1:%s" % port, "!",
                    "filesink", "location=" + out], env=env, check=True)
    emu.terminate()
    emu.wait()
    return open(out, "rb").read()


def try_seek(src, flags, target, stop=-1, state=Gst.State.PAUSED):
    pipe = Gst.parse_launch(
        "appsrc name=src stream-type=seekable format=bytes ! matroskademux ! "
        "h264parse ! avdec_h264 ! fakesink name=sink sync=false")
    app = pipe.get_by_name("src")
    app.set_property("size", src.cues[0] + len(src.cues[1]))
    src.seek(0)
    state_lock = {"pts": [], "seeked": False}

    def need_data(a, n):
        c = src.next_chunk()
        if c is None:
            a.end_of_stream()
        else:
            a.push_buffer(Gst.Buffer.new_wrapped(c))

    def seek_data(a, off):
        return src.seek(off)

    def probe(pad, info):
        if state_lock["seeked"]:
            state_lock["pts"].append(info.get_buffer().pts)
        return Gst.PadProbeReturn.OK

    app.connect("need-data", need_data)
    app.connect("seek-data", seek_data)
    pipe.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipe.set_state(state)
    pipe.get_state(10 * Gst.SECOND)
    ok, dur = pipe.query_duration(Gst.Format.TIME)
    q = Gst.Query.new_seeking(Gst.Format.TIME)
    seekable = pipe.query(q) and q.parse_seeking()[1]
    src.seeks.clear()
    state_lock["seeked"] = True
    t0 = time.time()
    res = pipe.seek(1.0, Gst.Format.TIME, flags, Gst.SeekType.SET, target,
                    Gst.SeekType.SET if stop >= 0 else Gst.SeekType.NONE, stop)
    bus = pipe.get_bus()
    deadline = time.time() + 10
    while time.time() < deadline and not state_lock["pts"]:
        bus.timed_pop(50 * Gst.MSECOND)
    first = state_lock["pts"][0] if state_lock["pts"] else None
    latency = time.time() - t0
    pipe.set_state(Gst.State.NULL)
    return res, dur if ok else None, seekable, first, list(src.seeks), latency


def main():
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        merged = run_emulator_and_kvamsrc(tmp)
    ebml, info, tracks, groups = split_merged(merged)
    print("spike: %d bytes of kvamsrc output, %d fragments, first clusters at %s ms"
          % (len(merged), len(groups), [g[2] for g in groups]))
    header, regions, cues = build_virtual(ebml, info, tracks, groups, 20000)
    src = VirtualSource(header, regions, cues)
    F = Gst.SeekFlags
    cases = [
        ("KEY_UNIT to 9 s", F.FLUSH | F.KEY_UNIT, 9 * Gst.SECOND, -1),
        ("KEY_UNIT|SNAP_AFTER to 9 s", F.FLUSH | F.KEY_UNIT | F.SNAP_AFTER, 9 * Gst.SECOND, -1),
        ("ACCURATE to 9 s", F.FLUSH | F.ACCURATE, 9 * Gst.SECOND, -1),
        ("KEY_UNIT back to 3 s", F.FLUSH | F.KEY_UNIT, 3 * Gst.SECOND, -1),
        ("with a stop at 12 s", F.FLUSH | F.KEY_UNIT, 9 * Gst.SECOND, 12 * Gst.SECOND),
    ]
    for name, flags, target, stop in cases:
        res, dur, seekable, first, seeks, lat = try_seek(src, flags, target, stop)
        print("spike: %-28s seek()=%s duration=%s seekable=%s first PTS after=%s "
              "byte seeks asked=%s (%.2f s)" % (
                  name, res, dur and dur / 1e9, seekable,
                  None if first is None else first / 1e9, seeks, lat))


if __name__ == "__main__":
    main()
