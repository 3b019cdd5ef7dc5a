"""RTSP, HTTP MJPEG, video file and USB cameras read with ``cv2.VideoCapture`` by one owned thread."""

from __future__ import annotations

import logging
import os
import threading
import time
from enum import Enum
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from edge.domain import Frame, SourceStatus
from edge.settings.cameras import SourceKind, SourceSpec, redact_text
from edge.sources.base import SourceOptions
from edge.sources.buffer import LatestFrameSlot
from edge.sources.health import Backoff, SourceHealth

logger = logging.getLogger(__name__)

FFMPEG_OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
FAILED_READS_BEFORE_REOPEN = 3
DEFAULT_FILE_FPS = 25.0
Image = npt.NDArray[np.uint8]


class _End(Enum):
    STOPPED = "stopped"
    FINISHED = "finished"


def ffmpeg_capture_options(read_timeout: float) -> str:
    """FFmpeg options for network cameras: RTSP over TCP, and a socket timeout (microseconds, FFmpeg >= 5)."""
    return f"rtsp_transport;tcp|timeout;{max(1, round(read_timeout * 1_000_000))}"


def ffmpeg_open_parameters(options: SourceOptions) -> list[int]:
    """What ``cv2.VideoCapture`` is opened with for FFmpeg: timeouts in ms, and the decoding threads.

    One thread decodes each frame in the capture thread as it arrives. FFmpeg's own choice (a thread
    per core, frame-parallel) holds a frame back per extra thread and costs more CPU in all: on an idle
    1080p camera about 0.3 % of a core more (the bench's idle camera, on a 2-core Intel Xeon).
    """
    parameters = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, round(options.open_timeout * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, round(options.stall_timeout * 1000),
    ]
    if options.decode_threads > 0:
        parameters += [cv2.CAP_PROP_N_THREADS, options.decode_threads]
    return parameters


def as_bgr(image: object) -> npt.NDArray[np.uint8] | None:
    """The picture as BGR uint8 (H, W, 3), converting grey and BGRA; None when it is not a usable frame."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        return None
    if image.ndim == 2:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    if image.ndim != 3:
        return None
    channels = image.shape[2]
    if channels == 3:
        return image
    if channels == 4:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_BGRA2BGR))
    if channels == 1:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    return None


class _Pacer:
    """Spaces frames of a video file at the file's own rate, without bursting to catch up."""

    def __init__(self, fps: float) -> None:
        self._interval = 1.0 / fps
        self._due = time.monotonic()

    def wait_time(self) -> float:
        now = time.monotonic()
        self._due = max(self._due + self._interval, now - self._interval)
        return max(0.0, self._due - now)


class _Throttle:
    """Says when a frame nobody asked for is converted: at most ``fps`` a second, evenly spaced."""

    def __init__(self, fps: float) -> None:
        self._interval = 1.0 / fps
        self._next = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = max(self._next + self._interval, now - self._interval)
        return True


class StreamSource:
    """A camera read through ``cv2.VideoCapture``: RTSP(S), HTTP(S) MJPEG, a video file or a USB device.

    One thread, named ``source-<camera>``, opens the camera, reads frames into a :class:`LatestFrameSlot`
    and reopens it with capped exponential backoff when it fails or stalls. Nothing raises out of it.
    """

    def __init__(self, camera: str, spec: SourceSpec, options: SourceOptions | None = None) -> None:
        if spec.kind is SourceKind.FOLDER:
            raise ValueError("a snapshot folder needs SnapshotFolderSource")
        self.camera = camera
        self._spec = spec
        self._options = options or SourceOptions()
        self._slot = LatestFrameSlot(camera)
        self._health = SourceHealth(camera, spec.display)
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera}: source already started")
        self._thread = threading.Thread(target=self._run, name=f"source-{self.camera}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop reading; True when the thread ended within ``timeout``.

        The capture is released by its own thread only (releasing it under a blocked read can crash
        OpenCV); a blocked open or read ends by itself within ``open_timeout`` / ``stall_timeout``.
        """
        self._stop.set()
        self._slot.close()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        ended = not self._thread.is_alive()
        if not ended:
            logger.warning("camera %s: capture thread still blocked after %.1f s; it ends on its own timeout",
                           self.camera, timeout)
        return ended

    def latest(self, after_sequence: int = 0, timeout: float = 1.0) -> Frame | None:
        return self._slot.latest(after_sequence, timeout)

    def status(self) -> SourceStatus:
        return self._health.status(self._slot)

    @property
    def skipped(self) -> int:
        return self._health.skipped

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    # --- the capture thread -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._capture_until_stopped()
        finally:
            if self._stop.is_set():
                self._health.stopped()

    def _capture_until_stopped(self) -> None:
        backoff = Backoff(self._options.backoff)
        while not self._stop.is_set():
            try:
                outcome = self._session(backoff)
            except Exception as exc:  # the thread must survive anything a backend throws
                logger.debug("camera %s: capture failed", self.camera, exc_info=True)
                outcome = f"capture error {type(exc).__name__}: {redact_text(str(exc))[:200]}"
            if outcome is _End.STOPPED:
                return
            if outcome is _End.FINISHED:
                self._finished.set()
                self._health.down("end of video file")
                return
            delay = backoff.next_delay()
            self._health.down(outcome, retry_in=delay)
            if self._stop.wait(delay):
                return

    def _session(self, backoff: Backoff) -> _End | str:
        """Open, read until stopped or broken, release. Returns how it ended, or the error."""
        self._health.attempting()
        capture = self._open()
        try:
            if not capture.isOpened():
                return "could not open the camera"
            return self._pump(capture, backoff)
        finally:
            capture.release()

    def _open(self) -> cv2.VideoCapture:
        spec, options = self._spec, self._options
        if spec.kind is SourceKind.DEVICE:
            device: int | str = spec.device_index if spec.device_index is not None else spec.location
            capture = cv2.VideoCapture(device, cv2.CAP_V4L2)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            return capture
        if spec.kind in (SourceKind.RTSP, SourceKind.HTTP):
            # Read by FFmpeg at each open. A value the operator set (say, UDP transport) is kept.
            os.environ.setdefault(FFMPEG_OPTIONS_VARIABLE, ffmpeg_capture_options(options.stall_timeout))
        return cv2.VideoCapture(spec.location, cv2.CAP_FFMPEG, ffmpeg_open_parameters(options))

    def _pump(self, capture: cv2.VideoCapture, backoff: Backoff) -> _End | str:
        is_file = self._spec.kind is SourceKind.FILE
        pacer = _Pacer(self._file_fps(capture)) if is_file and self._options.realtime else None
        unasked_fps = self._options.unasked_fps
        throttle = _Throttle(unasked_fps) if unasked_fps and (pacer is not None or not is_file) else None
        last_frame = time.monotonic()
        failures = 0
        read_since_rewind = 0
        delivered = False
        while not self._stop.is_set():
            ok = capture.grab()  # decodes; retrieve() converts to BGR, only for frames that are asked for
            if ok and throttle is not None and not self._slot.wanted() and not throttle.due():
                failures, last_frame = 0, time.monotonic()
                read_since_rewind += 1
                if pacer is not None and self._stop.wait(pacer.wait_time()):
                    break
                continue
            ok, raw = capture.retrieve() if ok else (False, None)
            image = as_bgr(raw) if ok else None
            if image is None and is_file and not ok:
                if not self._options.loop:
                    return _End.FINISHED
                if read_since_rewind == 0 or not capture.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    return "video file cannot be read from the start again"
                read_since_rewind = 0
                continue
            if image is None:
                self._health.skipped_one()
                failures += 1
                if not ok and failures >= FAILED_READS_BEFORE_REOPEN:
                    return "stream stopped delivering frames"
                if time.monotonic() - last_frame > self._options.stall_timeout:
                    return f"no frame for {self._options.stall_timeout:g} s"
                self._stop.wait(0.05)
                continue
            if not delivered:
                backoff.reset()
                delivered = True
            self._health.up()
            failures, last_frame = 0, time.monotonic()
            read_since_rewind += 1
            self._slot.put(image)
            if pacer is not None and self._stop.wait(pacer.wait_time()):
                break
        return _End.STOPPED

    def _file_fps(self, capture: cv2.VideoCapture) -> float:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        return fps if 1.0 <= fps <= 240.0 else DEFAULT_FILE_FPS
