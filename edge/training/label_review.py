"""Find plates the shared labels miss, for review by eye.

The shared sets leave some visible plates unboxed (other cars in dashcam frames, small or far
plates in Open Images). Unboxed plates teach the detector that plates are background, and count as
false detections when measuring. This tool runs the current detector over every real photo and
keeps each detection that no labelled box explains; it writes them to ``candidates.csv`` and draws
numbered contact sheets (the candidate in red, labelled boxes in green, with its surroundings), so
that a person can mark which candidates are plates. The verdicts go into
``edge/training/labels/unboxed_plates.csv`` (read by ``edge.training.sources``).

``python -m edge.training.label_review --out build/review`` writes the sheets;
``python -m edge.training.label_review --out build/review --accept 3 17 42`` appends the candidates
judged to be plates to the unboxed-plate list.
"""

from __future__ import annotations

import argparse
import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.training.sources import UNBOXED_PLATES, RealImage, load_real_images
from edge.vision.detector import PlateDetector
from edge.vision.onnx_model import OnnxModel
from edge.vision.postprocess import box_iou

log = logging.getLogger(__name__)

EXPLAINED_IOU = 0.2  # a detection overlapping a labelled box this much is that box, not a new plate
CELL = (240, 150)  # contact sheet cell, pixels
COLUMNS, ROWS = 5, 4


@dataclass(frozen=True)
class Candidate:
    number: int
    source: str
    image: Path
    split: str
    box: tuple[float, float, float, float]  # pixels x1, y1, x2, y2
    confidence: float


def _label_boxes(img: RealImage, width: int, height: int) -> np.ndarray:
    return np.array([p.pixel_box(width, height) for p in img.plates]).reshape(-1, 4)


def _contained(box: np.ndarray, labels: np.ndarray) -> bool:
    """Whether most of ``box`` lies inside one labelled box (a detection of part of a plate)."""
    if not len(labels):
        return False
    ix = np.clip(np.minimum(box[2], labels[:, 2]) - np.maximum(box[0], labels[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], labels[:, 3]) - np.maximum(box[1], labels[:, 1]), 0, None)
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    return bool((ix * iy / area).max() > 0.5)


def find_candidates(images: list[RealImage], detector: PlateDetector) -> list[Candidate]:
    """Detections that no labelled box of their photo explains, in photo order."""
    found: list[Candidate] = []
    for img in images:
        frame = cv2.imread(str(img.image))
        if frame is None or not frame.any():
            continue
        height, width = frame.shape[:2]
        labels = _label_boxes(img, width, height)
        for d in detector.detect(frame):
            box = np.array([d.box.x1, d.box.y1, d.box.x2, d.box.y2])
            if len(labels) and (box_iou(box, labels).max() >= EXPLAINED_IOU or _contained(box, labels)):
                continue
            found.append(Candidate(len(found), img.source, img.image, img.split,
                                   (d.box.x1, d.box.y1, d.box.x2, d.box.y2), round(d.confidence, 3)))
    return found


def _cell(frame: np.ndarray, candidate: Candidate, labels: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = candidate.box
    w, h = x2 - x1, y2 - y1
    side = max(w * 2.5, h * 4, 48)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    ax, ay = int(max(cx - side / 2, 0)), int(max(cy - side * 0.31, 0))
    bx, by = int(min(cx + side / 2, frame.shape[1])), int(min(cy + side * 0.31, frame.shape[0]))
    view = frame.copy()
    for lx1, ly1, lx2, ly2 in labels:
        cv2.rectangle(view, (int(lx1), int(ly1)), (int(lx2), int(ly2)), (0, 200, 0), 1)
    cv2.rectangle(view, (int(x1) - 1, int(y1) - 1), (int(x2) + 1, int(y2) + 1), (0, 0, 255), 1)
    part = view[ay:by, ax:bx]
    scale = min(CELL[0] / part.shape[1], (CELL[1] - 16) / part.shape[0])
    part = cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    cell = np.full((CELL[1], CELL[0], 3), 40, np.uint8)
    cell[16:16 + part.shape[0], :part.shape[1]] = part
    cv2.putText(cell, f"{candidate.number} ({candidate.confidence:.2f})", (2, 12), cv2.FONT_HERSHEY_SIMPLEX,
                0.4, (255, 255, 255), 1)
    return cell


def write_review(candidates: list[Candidate], images: dict[Path, RealImage], out: Path) -> int:
    """Write ``candidates.csv`` and numbered contact sheets; returns the number of sheets."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "candidates.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["number", "source", "image", "split", "x1", "y1", "x2", "y2", "confidence"])
        for c in candidates:
            writer.writerow([c.number, c.source, c.image, c.split, *(round(v, 1) for v in c.box), c.confidence])
    per_sheet = COLUMNS * ROWS
    sheets = 0
    for start in range(0, len(candidates), per_sheet):
        cells = []
        for c in candidates[start:start + per_sheet]:
            frame = cv2.imread(str(c.image))
            if frame is None:  # read a moment ago by find_candidates
                raise OSError(f"cannot read {c.image}")
            cells.append(_cell(frame, c, _label_boxes(images[c.image], frame.shape[1], frame.shape[0])))
        cells += [np.zeros_like(cells[0])] * (per_sheet - len(cells))
        grid = np.vstack([np.hstack(cells[r * COLUMNS:(r + 1) * COLUMNS]) for r in range(ROWS)])
        cv2.imwrite(str(out / f"sheet-{sheets:03d}.png"), grid)
        sheets += 1
    return sheets


def accept(review: Path, numbers: list[int], shared: Path, plates: Path = UNBOXED_PLATES) -> int:
    """Append the candidates ``numbers`` of ``review/candidates.csv`` to ``plates``; returns how many."""
    with (review / "candidates.csv").open(newline="") as f:
        rows = {int(r["number"]): r for r in csv.DictReader(f)}
    missing = [n for n in numbers if n not in rows]
    if missing:
        raise ValueError(f"no such candidates in {review}: {missing}")
    new_file = not plates.exists()
    plates.parent.mkdir(parents=True, exist_ok=True)
    with plates.open("a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(["source", "image", "cx", "cy", "w", "h", "note"])
        for n in numbers:
            row = rows[n]
            image = Path(row["image"])
            frame = cv2.imread(str(image), cv2.IMREAD_REDUCED_GRAYSCALE_2)
            if frame is None:
                raise OSError(f"cannot read {image}")
            height, width = frame.shape[0] * 2, frame.shape[1] * 2
            x1, y1, x2, y2 = (float(row[k]) for k in ("x1", "y1", "x2", "y2"))
            x1, x2 = max(x1, 0.0), min(x2, float(width))
            y1, y2 = max(y1, 0.0), min(y2, float(height))
            rel = image.resolve().relative_to((shared / row["source"]).resolve()).as_posix()
            box = ((x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height)
            writer.writerow([row["source"], rel, *(f"{v:.6f}" for v in box),
                             f"detector box {row['confidence']}, confirmed by eye"])
    return len(numbers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Detections no label explains, on contact sheets for review.")
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--detector", type=Path, default=Path("models/plate-detector.onnx"))
    parser.add_argument("--confidence", type=float, default=0.25)
    parser.add_argument("--split", choices=["train", "val", "all"], default="all")
    parser.add_argument("--out", type=Path, default=Path("build/review"))
    parser.add_argument("--accept", type=int, nargs="+", metavar="N",
                        help="add these candidates of --out to the unboxed-plate list instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.accept:
        try:
            added = accept(args.out, args.accept, args.shared)
        except (OSError, ValueError) as exc:
            parser.error(str(exc))
        log.info("added %d plates to %s", added, UNBOXED_PLATES)
        return
    images = [i for i in load_real_images(args.shared) if args.split in ("all", i.split)]
    detector = PlateDetector(OnnxModel(args.detector, threads=1), conf_threshold=args.confidence)
    candidates = find_candidates(images, detector)
    sheets = write_review(candidates, {i.image: i for i in images}, args.out)
    log.info("%d candidates on %d sheets in %s", len(candidates), sheets, args.out)


if __name__ == "__main__":
    main()
