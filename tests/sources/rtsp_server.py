"""A real RTSP camera for tests: GStreamer's RTSP server on 127.0.0.1, H.264 over RTP.

Run by the system Python (``/usr/bin/python3``, which has ``gi``), not the project's virtualenv:

    /usr/bin/python3 tests/sources/rtsp_server.py --port 0 [--images 'dir/frame_%05d.jpg'] [--fps 10]
        [--user U --password P]

Prints ``READY <port>`` once serving ``rtsp://127.0.0.1:<port>/stream``, then serves until killed.
Without ``--images`` it streams a moving test pattern; with it, the numbered JPEG files in a loop.
Needs the Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

MOUNT = "/stream"


def pipeline(images: str | None, fps: int, width: int, height: int) -> str:
    encode = (
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bitrate=1500"
        " ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1"
    )
    if images is None:
        raw = f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1"
    else:
        location = images.replace('"', '\\"')
        raw = (
            f'multifilesrc location="{location}" index=0 loop=true caps="image/jpeg,framerate={fps}/1"'
            f" ! jpegdec ! videoconvert ! videorate ! video/x-raw,format=I420,framerate={fps}/1"
        )
    return f"( {raw} ! {encode} )"


def build_server(args: argparse.Namespace) -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args.images, args.fps, args.width, args.height))
    factory.set_shared(True)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        role = Gst.Structure.new_from_string(
            "camera-user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )
        factory.add_role_from_structure(role)
    server.get_mount_points().add_factory(MOUNT, factory)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--images", help="printf pattern of numbered JPEG files to stream in a loop")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    Gst.init(None)
    server = build_server(args)
    if server.attach(None) == 0:
        sys.stderr.write(f"cannot listen on 127.0.0.1:{args.port}\n")
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    sys.stdout.write(f"READY {server.get_bound_port()}\n")
    sys.stdout.flush()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
