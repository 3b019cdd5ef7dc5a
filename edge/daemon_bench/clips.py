"""Video clips for bench cameras: generated scenes written to a file, and what a clip file holds."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import cv2

from edge.daemon_bench.errors import BenchError
from edge.daemon_bench.reports import ClipInfo
from edge.daemon_bench.scenes import Image, check_scene, scene_frames

FULL_HD = (1920, 1080)
CLIP_FPS = 15.0  # generated clips: a camera stream set a little above the 10 fps the daemon asks for


def clip_info(path: Path) -> ClipInfo:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise BenchError(f"cannot open the clip {path}")
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 0.0
        frames = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") or "?"
        return ClipInfo(path.name, int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                        int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), round(fps, 2),
                        round(frames / fps, 2) if fps > 0 else 0.0, codec)
    finally:
        capture.release()


def write_clip(path: Path, size: tuple[int, int] = FULL_HD, fps: float = CLIP_FPS, scene: str = "arrival") -> ClipInfo:
    """Write a clip of ``scene`` (H.264 through imageio-ffmpeg when installed, else OpenCV's MPEG-4)."""
    if not (16 <= size[0] <= 7680 and 16 <= size[1] <= 4320 and size[0] % 2 == 0 == size[1] % 2):
        raise ValueError(f"clip size {size} must be even and between 16x16 and 7680x4320")
    if not 1 <= fps <= 60:
        raise ValueError(f"clip fps {fps} must be between 1 and 60")
    check_scene(scene)
    frames = scene_frames(size, fps, scene)
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - the dev extra; the daemon itself never needs it
    except ImportError:
        _write_with_opencv(path, size, fps, frames)
    else:
        _write_with_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe(), path, size, fps, frames)
    return clip_info(path)


def _write_with_ffmpeg(exe: str, path: Path, size: tuple[int, int], fps: float, frames: Iterator[Image]) -> None:
    command = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}",
               "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
               "-pix_fmt", "yuv420p", "-g", str(round(fps)), str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None and encoder.stderr is not None
        try:
            for frame in frames:
                encoder.stdin.write(frame.tobytes())
        except BrokenPipeError:
            pass
        finally:
            encoder.stdin.close()
        error = encoder.stderr.read().decode(errors="replace").strip()
        if encoder.wait() != 0:
            raise BenchError(f"ffmpeg could not write {path.name}: {error[:300]}")


def _write_with_opencv(path: Path, size: tuple[int, int], fps: float, frames: Iterator[Image]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    try:
        if not writer.isOpened():
            raise BenchError(f"OpenCV cannot write {path.name} (and imageio-ffmpeg is not installed)")
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
