"""Make ``edge/samples/arrival.mp4``, the bundled sample camera: a car drives up to the gate, then the road is empty.

The car is the bundled ``car.jpg`` (MIT, see tests/images/README.md), scaled from far to near so that its plate
grows and moves down the picture, as a car approaching an entry camera does. Run once when the sample changes:
``python -m edge.training.sample_clip`` (needs the ``imageio-ffmpeg`` package of the dev extra).
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FPS = 8
APPROACH_FRAMES = 40
EMPTY_FRAMES = 24
PLATE_CENTRE = (560.0, 415.0)  # in car.jpg


def _frames(car: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    h, w = car.shape[:2]
    road = np.full_like(car, 0)
    road[:] = cv2.blur(car, (w // 4 | 1, h // 4 | 1)).mean(axis=(0, 1)).astype(np.uint8)
    frames = []
    for i in range(APPROACH_FRAMES):
        t = i / (APPROACH_FRAMES - 1)
        scale = 0.4 + 0.6 * t
        target = (w / 2 + (PLATE_CENTRE[0] - w / 2) * t, h * 0.45 + (PLATE_CENTRE[1] - h * 0.45) * t)
        matrix = np.array([[scale, 0, target[0] - PLATE_CENTRE[0] * scale],
                           [0, scale, target[1] - PLATE_CENTRE[1] * scale]], np.float32)
        frame = cv2.warpAffine(car, matrix, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (w, h)) > 0
        frame[~mask] = road[~mask]
        frames.append(frame)
    frames += [road.copy() for _ in range(EMPTY_FRAMES)]
    return frames


def write_clip(out: Path) -> None:
    import imageio_ffmpeg  # noqa: PLC0415 - dev extra only

    car = cv2.imread(str(SAMPLES / "car.jpg"))
    if car is None:
        raise SystemExit("edge/samples/car.jpg is missing")
    frames = _frames(car)
    h, w = car.shape[:2]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{w}x{h}", "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "slow", "-crf", "26",
               "-pix_fmt", "yuv420p", "-g", str(FPS), "-movflags", "+faststart", str(out)]
    subprocess.run(command, input=b"".join(f.tobytes() for f in frames), check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=SAMPLES / "arrival.mp4")
    write_clip(parser.parse_args().out)


if __name__ == "__main__":
    main()
