"""A real RTSP camera on 127.0.0.1 for tests: GStreamer's RTSP server run by the system Python.

    with serve_rtsp() as url:                   # a moving test pattern, 640x360 at 10 fps
        ...
    with serve_rtsp(Path("car.mp4")) as url:    # a clip (or one picture) of a car, in a loop
        ...

Locally the test skips when the GStreamer packages are missing; in CI (``CARWATCH_REQUIRE_SERVICES=1``) it
fails. Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly.
"""

from __future__ import annotations

import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import TracebackType

import cv2
import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).resolve().parent / "sources" / "rtsp_server.py"
GST_ELEMENTS = ("videotestsrc", "x264enc", "rtph264pay", "multifilesrc", "jpegdec", "videoconvert", "videorate")
MAX_CLIP_FRAMES = 300
_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
    "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
    f"missing = [e for e in {GST_ELEMENTS!r} if Gst.ElementFactory.find(e) is None];"
    "print(' '.join(missing))"
)


@cache
def rtsp_unavailable() -> str | None:
    """Why the test RTSP server cannot run here, or None when it can."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing"
    try:
        probe = subprocess.run([SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"GStreamer probe failed: {exc}"
    if probe.returncode != 0:
        return "GStreamer RTSP server for Python is not installed (python3-gi, gir1.2-gst-rtsp-server-1.0)"
    if probe.stdout.strip():
        return f"GStreamer elements missing: {probe.stdout.strip()} (gstreamer1.0-plugins-good/-ugly)"
    return None


def require_rtsp() -> None:
    """Skip (or fail under CARWATCH_REQUIRE_SERVICES=1) when the test RTSP server cannot run."""
    reason = rtsp_unavailable()
    if reason is None:
        return
    if os.environ.get("CARWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class RtspServer:
    """One server process; ``start`` again after ``kill`` to bring the camera back on the same port."""

    def __init__(self, images: str | None = None, fps: int = 10, user: str = "", password: str = "") -> None:
        self.port = 0
        self._images = images
        self._fps = fps
        self._credentials = (user, password)
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (the server's stderr, closed in close())

    @property
    def url(self) -> str:
        """The stream URL (without credentials)."""
        return f"rtsp://127.0.0.1:{self.port}/stream"

    def start(self, timeout: float = 20.0) -> str:
        command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--fps", str(self._fps)]
        if self._images:
            command += ["--images", self._images]
        if self._credentials[0]:
            command += ["--user", self._credentials[0], "--password", self._credentials[1]]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log)
        self.port = self._wait_ready(self._process, timeout)
        return self.url

    def kill(self) -> None:
        """Stop the camera dead (SIGKILL), as a power cut would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None

    def close(self) -> None:
        self.kill()
        self._log.close()

    def __enter__(self) -> RtspServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> int:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline and process.poll() is None:
            readable, _, _ = select.select([process.stdout], [], [], 0.1)
            if readable:
                line = process.stdout.readline()
                if line.startswith(b"READY "):
                    return int(line.split()[1])
        self.kill()
        self._log.seek(0)
        raise RuntimeError(f"RTSP server did not start: {line!r} {self._log.read()[-2000:]!r}")


@contextmanager
def serve_rtsp(video: Path | None = None, *, fps: int | None = None, user: str = "",
               password: str = "") -> Iterator[str]:
    """Serve a test pattern, or ``video`` (a clip or a picture) in a loop, at ``rtsp://127.0.0.1:<port>/stream``.

    With ``user``, the server asks for basic authentication (put the credentials in the URL yourself).
    """
    require_rtsp()
    with tempfile.TemporaryDirectory(prefix="carwatch-rtsp-") as folder:
        images = None
        if video is not None:
            clip_fps = write_frames(video, Path(folder))
            fps = fps or clip_fps
            images = str(Path(folder) / "frame_%05d.jpg")
        with RtspServer(images, fps or 10, user, password) as server:
            yield server.start()


def write_frames(video: Path, folder: Path) -> int:
    """Numbered JPEGs of ``video`` (at most MAX_CLIP_FRAMES, even sizes for H.264); returns the clip's fps."""
    still = cv2.imread(str(video), cv2.IMREAD_COLOR)
    if still is not None:
        _write_jpeg(folder / "frame_00000.jpg", still)
        return 10
    capture = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = 0
        while count < MAX_CLIP_FRAMES:
            ok, image = capture.read()
            if not ok:
                break
            _write_jpeg(folder / f"frame_{count:05d}.jpg", image)
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise ValueError(f"no frames in {video}")
    return round(fps) if 1 <= fps <= 60 else 10


def _write_jpeg(path: Path, image: cv2.typing.MatLike) -> None:
    height, width = image.shape[:2]
    cv2.imwrite(str(path), image[: height - height % 2, : width - width % 2], [cv2.IMWRITE_JPEG_QUALITY, 90])
