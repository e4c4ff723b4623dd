#!/usr/bin/python3
"""Runs examples/README.md's sh blocks, examples/thumbnails.py, and the
README's blocks marked <!-- runnable --> (after starting the emulator as
its block marked <!-- runnable: emulator --> says, on a free port instead
of 4566) against kvs-emulator on 127.0.0.1, and checks what they wrote.

    examples.py BUILD_DIR SOURCE_DIR

Exit 77 (skipped, reason printed) when PyGObject is missing or the plugin
is an AddressSanitizer build (the stock gst-launch-1.0 cannot load it).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

build, source = sys.argv[1], sys.argv[2]
plugin = os.path.join(build, "gst", "libgstkvam.so")


def skip(why):
    print("SKIP examples: " + why)
    sys.exit(77)


try:
    import gi  # noqa: F401
except ImportError:
    skip("python3-gi is not installed")
if "asan" in subprocess.run(["ldd", plugin], capture_output=True,
                            text=True).stdout:
    skip("the plugin is an AddressSanitizer build, which the uninstrumented "
         "gst-launch-1.0 cannot load (the plain build runs this test)")

env = dict(os.environ)
# the recipes use stock elements beyond the tests' private set: the
# system's plugins, the freshly built kvam, a registry of our own
for k in ("GST_PLUGIN_PATH_1_0", "GST_PLUGIN_SYSTEM_PATH_1_0"):
    env.pop(k, None)
work = tempfile.mkdtemp(prefix="kvam-examples-")
env.update(GST_PLUGIN_PATH=os.path.join(build, "gst"),
           GST_REGISTRY=os.path.join(work, "registry.bin"),
           AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
           AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           AWS_REGION="us-west-2", AWS_EC2_METADATA_DISABLED="true",
           STREAM="demo", FROM="2026-11-24T10:02:00Z",
           TO="2026-11-24T10:02:59Z")
emu = subprocess.Popen([os.path.join(build, "tests/emulator/kvs-emulator"),
                        "--synthetic", "demo:300:2:320x240:av",
                        "--start-time", "2026-11-24T10:00:00Z"],
                       stdout=subprocess.PIPE, text=True)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def duration(path):
    """Seconds gst-discoverer-1.0 finds in @path, or -1."""
    r = subprocess.run(["gst-discoverer-1.0", path], env=env, timeout=60,
                       capture_output=True, text=True)
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", r.stdout)
    return (int(m.group(1)) * 3600 + int(m.group(2)) * 60 +
            float(m.group(3))) if m else -1


def check_recording(readme):
    """The README's live-replay recording, as pasted but for endpoint-uri,
    against a live emulator stream with 11 minutes of history: it catches
    up 10 minutes into the first 10-minute file, follows, and on Ctrl-C
    (-e: EOS) closes both files."""
    cmd = re.search(r"(gst-launch-1.0 -e kvamsrc stream-name=front-door "
                    r"playback-mode=live-replay.*?)\n(?!\s)", readme,
                    re.S).group(1)
    cmd = cmd.replace("kvamsrc stream-name=", "kvamsrc endpoint-uri=%s "
                      "stream-name=" % "$LIVE_ENDPOINT")
    here = os.path.join(work, "recording")
    os.makedirs(here)
    live = subprocess.Popen(
        [os.path.join(build, "tests/emulator/kvs-emulator"), "--live",
         "--synthetic", "front-door:400:2", "--start-time",
         str(int(time.time()) - 660)], stdout=subprocess.PIPE, text=True)
    try:
        port = next(line.split()[1] for line in live.stdout
                    if line.startswith("PORT"))
        rec = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=here,
                               env=dict(env, LIVE_ENDPOINT="http://127.0.0.1:"
                                        + port),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        second = os.path.join(here, "rec-00001.mp4")
        deadline = time.time() + 90
        while not os.path.exists(second) and time.time() < deadline \
                and rec.poll() is None:
            time.sleep(0.2)
        check(os.path.exists(second), "the recording caught up 10 minutes "
              "into rec-00000.mp4 and opened rec-00001.mp4")
        time.sleep(5)               # following the live stream
        rec.send_signal(signal.SIGINT)
        try:
            out, err = rec.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            rec.kill()
            out, err = rec.communicate()
        check(rec.returncode == 0, "the recording ends on Ctrl-C with exit 0 "
              "(%s)" % err.strip()[-300:])
        first = duration(os.path.join(here, "rec-00000.mp4"))
        check(598 <= first <= 602, "rec-00000.mp4 holds 10 minutes (%.3f s)"
              % first)
        rest = duration(second)
        check(rest >= 2, "rec-00001.mp4 holds what followed (%.3f s)" % rest)
    finally:
        live.terminate()
        live.wait()


try:
    port = next(line.split()[1] for line in emu.stdout
                if line.startswith("PORT"))
    env["ENDPOINT"] = "http://127.0.0.1:" + port

    with open(os.path.join(source, "examples", "README.md")) as f:
        blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
    check(len(blocks) == 6, "examples/README.md has 6 recipes (%d)"
          % len(blocks))
    for i, block in enumerate(blocks):
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", block],
                           cwd=work, env=env, timeout=180,
                           capture_output=True, text=True)
        check(r.returncode == 0, "recipe %d exits 0 (%s)"
              % (i + 1, r.stderr.strip()[-300:]))

    def size(name):
        p = os.path.join(work, name)
        return os.path.getsize(p) if os.path.exists(p) else 0

    files = os.listdir(work)
    check(size("clip.mp4") > 500000, "clip.mp4: %d bytes" % size("clip.mp4"))
    snaps = sorted(f for f in files if f.startswith("snap-"))
    check(len(snaps) == 6, "6 snapshots of 58 s every 10 s (%d)" % len(snaps))
    playlist = open(os.path.join(work, "playlist.m3u8")).read() \
        if size("playlist.m3u8") else ""
    segments = [f for f in files if f.startswith("segment")]
    check("#EXT-X-ENDLIST" in playlist and len(segments) >= 5,
          "HLS playlist closed, %d segments" % len(segments))
    frames = open(os.path.join(work, "frames.txt")).read().strip() \
        if size("frames.txt") else ""
    check(frames == "1450 frames", "raw frames: '%s' (want 29 fragments x "
          "50)" % frames)
    check(size("sound.m4a") > 20000, "sound.m4a: %d bytes" % size("sound.m4a"))

    # thumbnails.py: 8 JPEGs of 60 s every 7.5 s, named by producer time
    out = os.path.join(work, "thumbs")
    r = subprocess.run(["/usr/bin/python3",
                        os.path.join(source, "examples", "thumbnails.py"),
                        "--stream", "demo", "--start", env["FROM"],
                        "--end", env["TO"], "--every", "7.5", "-o", out,
                        "--endpoint-uri", env["ENDPOINT"]],
                       env=env, timeout=180, capture_output=True, text=True)
    check(r.returncode == 0, "thumbnails.py exits 0 (%s)"
          % r.stderr.strip()[-300:])
    names = sorted(os.listdir(out)) if os.path.isdir(out) else []
    # the range is on server times, which the emulator puts 1.2 s after
    # the producer's: its first fragment is the one produced at 10:02:00,
    # its last at 10:02:56 (29 fragments, 58 s)
    want = ["20261124T10%s.jpg" % t for t in
            ("0200.000Z", "0207.500Z", "0215.000Z", "0222.500Z", "0230.000Z",
             "0237.500Z", "0245.000Z", "0252.500Z")]
    check(names == want, "8 thumbnails named by producer time: %s" % names)
    pictures = [open(os.path.join(out, n), "rb").read() for n in names]
    check(all(p[:3] == b"\xff\xd8\xff" for p in pictures), "they are JPEGs")
    check(len(set(pictures)) == len(pictures), "and all different")
    # a relative --start without '=' is a time, not an option; --every 0 is
    # a usage error, not a traceback
    thumbs = [os.path.join(source, "examples", "thumbnails.py"),
              "--stream", "demo", "-o", os.path.join(work, "thumbs2"),
              "--endpoint-uri", env["ENDPOINT"]]
    r = subprocess.run(["/usr/bin/python3"] + thumbs +
                       ["--start", "-15m", "--end", "now", "--every", "5"],
                       env=env, timeout=60, capture_output=True, text=True)
    check("argument" not in r.stderr and "has no fragments between" in
          r.stderr, "--start -15m read as a time (%s)" % r.stderr[-300:])
    r = subprocess.run(["/usr/bin/python3"] + thumbs +
                       ["--start", env["FROM"], "--end", env["TO"],
                        "--every", "0"],
                       env=env, timeout=60, capture_output=True, text=True)
    check(r.returncode == 2 and "must be more than 0" in r.stderr and
          "Traceback" not in r.stderr, "--every 0 refused (%s)"
          % r.stderr[-300:])

    # the README, in order, as pasted (but the port), from a directory
    # where build/ is the build being tested
    readme = open(os.path.join(source, "README.md")).read()
    emu_block = re.search(r"<!-- runnable: emulator -->\n```sh\n(.*?)\n",
                          readme).group(1)
    blocks = re.findall(r"<!-- runnable -->\n```sh\n(.*?)```", readme, re.S)
    check(len(blocks) >= 3, "README has runnable blocks (%d)" % len(blocks))
    here = os.path.join(work, "readme")
    os.makedirs(here)
    os.symlink(os.path.abspath(build), os.path.join(here, "build"))
    emu2 = subprocess.Popen(["bash", "-c", "exec " + emu_block.replace(
        "--port 4566", "--port 0")], cwd=here, env=env,
        stdout=subprocess.PIPE, text=True)
    try:
        port2 = next(line.split()[1] for line in emu2.stdout
                     if line.startswith("PORT"))
        for i, block in enumerate(blocks):
            block = block.replace("127.0.0.1:4566", "127.0.0.1:" + port2)
            block = block.replace("127.0.0.1%3A4566", "127.0.0.1%3A" + port2)
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", block],
                               cwd=here, env=env, timeout=180,
                               capture_output=True, text=True)
            check(r.returncode == 0, "README block %d exits 0 (%s)"
                  % (i + 1, r.stderr.strip()[-300:]))
        check(os.path.getsize(os.path.join(here, "clip.mp4")) > 100000,
              "README's clip.mp4 written")
    finally:
        emu2.terminate()
        emu2.wait()
    check_recording(readme)
finally:
    emu.terminate()
    emu.wait()
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print("%d failed: %s" % (len(failures), "; ".join(failures)))
    sys.exit(1)
print("examples: all passed")
