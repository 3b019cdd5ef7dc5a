"""Real plate crops with new texts: some characters swapped for real glyphs cut from other crops.

The reader's real training crops show few distinct plates (377 texts in the eighth session, most of
them Romanian dashcam frames of the same cars), so it sees each real glyph in few contexts and some
characters (``W``, ``Q``, ``I`` at a plate's end) hardly at all. Here a boxed training crop gets one
to three of its characters replaced by a glyph of another class cut from another boxed crop of the
same source set where one fits (same camera, similar fonts), of a like width-to-height ratio. The
glyph is cut with a margin of its own background, scaled to the replaced box, matched to the
target's brightness, contrast and ink polarity, and blended in with a feathered edge, so that the
replaced character is covered and the seam fades. The labels follow the swap: the new crop carries
the new classes in the old boxes.

Only training crops are used, never a crop of a plate set aside for validation or testing.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.training.pack import label_for
from edge.training.reframe import write_crop
from edge.training.set_folders import fresh_folders
from edge.vision.charset import CHARSET

log = logging.getLogger(__name__)

Image = npt.NDArray[Any]

MARGIN = 0.12  # background cut around a glyph and around the replaced box, as a share of the box height
MAX_ASPECT_RATIO = 1.4  # a glyph's width/height may differ from the replaced box's by this factor at most
MIN_HEIGHT = 8  # boxes shorter than this (pixels) are too small to cut a glyph from or paste into
MIN_CONTRAST = 25.0  # grey levels between ink and background below which a patch is no clear character
MIN_INK, MAX_INK = 0.1, 0.7  # share of a glyph's patch that may be ink
MIN_SNR = 5.0  # a glyph's ink must stand this many noise deviations off its background
MIN_SCALE = 0.6  # a glyph must be at least this tall, relative to the box it replaces (less upscaling)
MAX_NOISE = 8.0  # most grey noise added to a pasted glyph
BLUR_STEPS = (0.0, 0.5, 0.8, 1.2, 1.7, 2.3)  # Gaussian sigmas tried to make a glyph as soft as its new plate
SWAPS = (1, 2, 3)  # how many characters of a crop are swapped, drawn evenly


@dataclass(frozen=True)
class GlyphBox:
    """One labelled character of a crop, in pixels (x2, y2 exclusive)."""

    cls: int
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def aspect(self) -> float:
        return (self.x2 - self.x1) / max(1, self.y2 - self.y1)


@dataclass(frozen=True)
class Glyph:
    """Where a real character can be cut from."""

    image: Path
    box: GlyphBox

    @property
    def source(self) -> str:
        return source_of(self.image)


def source_of(image: Path) -> str:
    """The shared set a crop was cut from: its name starts ``<set>__`` (``sources.crop_name``)."""
    return image.stem.split("__", 1)[0]


def read_boxes(label: Path, width: int, height: int) -> list[GlyphBox]:
    """The YOLO label file of a crop as pixel boxes; a malformed line raises ``ValueError`` naming the file."""
    boxes = []
    for number, line in enumerate(label.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            cls_text, *rest = line.split()
            cls = int(cls_text)
            cx, cy, w, h = (float(v) for v in rest)
        except ValueError as exc:
            raise ValueError(f"{label}:{number}: not a YOLO label line ({line[:60]!r})") from exc
        x1 = round((cx - w / 2) * width)
        y1 = round((cy - h / 2) * height)
        x2 = round((cx + w / 2) * width)
        y2 = round((cy + h / 2) * height)
        boxes.append(GlyphBox(cls, max(0, x1), max(0, y1), min(width, x2), min(height, y2)))
    return boxes


def _grown(box: GlyphBox, width: int, height: int) -> tuple[int, int, int, int, int, int]:
    """The box grown by MARGIN on each side, clipped to the image; also the margins actually taken."""
    m = max(1, round(MARGIN * (box.y2 - box.y1)))
    x1, y1 = max(0, box.x1 - m), max(0, box.y1 - m)
    x2, y2 = min(width, box.x2 + m), min(height, box.y2 + m)
    return x1, y1, x2, y2, box.x1 - x1, box.y1 - y1


@dataclass(frozen=True)
class InkModel:
    """A character's patch as two tones, ink and background: Otsu's threshold on grey splits them, and the
    tone of most of the patch's rim (its margin) is the background."""

    ink: Image  # mean BGR of the ink pixels
    background: Image  # mean BGR of the background pixels
    ink_grey: float
    background_grey: float
    ink_share: float  # share of the patch that is ink
    noise: float  # grey standard deviation of the background pixels (robust estimate)

    @classmethod
    def of(cls, patch: Image) -> InkModel | None:
        """The two tones of ``patch``; None where they are too close to tell apart."""
        grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
        threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        dark = grey <= threshold
        # the patch's rim (the margin around the character) is mostly background
        rim = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
        ink = ~dark if rim.mean() > 0.5 else dark
        if ink.all() or not ink.any():
            return None
        g = grey.astype(np.float64)
        background = g[~ink]
        noise = 1.4826 * float(np.median(np.abs(background - np.median(background))))  # robust to glyph edges
        model = cls(patch[ink].mean(axis=0), patch[~ink].mean(axis=0), float(g[ink].mean()),
                    float(background.mean()), float(ink.mean()), noise)
        return model if abs(model.ink_grey - model.background_grey) >= MIN_CONTRAST else None


def _sharpness(grey: Image) -> float:
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def _soften_like(inkness: Image, target_grey: Image, contrast: float) -> Image:
    """``inkness`` (0..1) blurred until, at ``contrast`` grey levels, it is no sharper than the target."""
    goal = _sharpness(target_grey)
    for sigma in BLUR_STEPS:
        softened = inkness if sigma == 0 else cv2.GaussianBlur(inkness, (0, 0), sigma)
        if _sharpness(softened * contrast) <= goal:
            return softened
    return softened


def match_look(glyph: Image, target: Image, rng: random.Random) -> Image | None:
    """The shape of ``glyph`` in the ink and background colours of ``target``, with its noise.

    None where either patch is not plainly ink on a background (a blank, a bar, a smear).
    """
    source, goal = InkModel.of(glyph), InkModel.of(target)
    if source is None or goal is None or not MIN_INK <= source.ink_share <= MAX_INK:
        return None
    if abs(source.ink_grey - source.background_grey) < MIN_SNR * source.noise:
        return None  # a glyph lost in its own noise would paste as speckle
    grey = cv2.cvtColor(glyph, cv2.COLOR_BGR2GRAY).astype(np.float64)
    raw: Image = np.clip((grey - source.background_grey) / (source.ink_grey - source.background_grey), 0, 1)
    inkness = _soften_like(raw, cv2.cvtColor(target, cv2.COLOR_BGR2GRAY).astype(np.float64),
                           abs(goal.ink_grey - goal.background_grey))
    out: Image = goal.background + inkness[:, :, None] * (goal.ink - goal.background)
    noise: Image = np.asarray(np.random.default_rng(rng.randrange(2**32)).normal(0, min(goal.noise, MAX_NOISE),
                                                                                   grey.shape))
    out += noise[:, :, None]
    result: Image = np.clip(out, 0, 255).astype(np.uint8)
    return result


def _feather(height: int, width: int, core: tuple[int, int, int, int]) -> Image:
    """Blend weights: 1 inside ``core`` (x1, y1, x2, y2), falling linearly to 0 at the patch's edge."""
    x1, y1, x2, y2 = core
    xs = np.arange(width, dtype=np.float64)
    ys = np.arange(height, dtype=np.float64)
    wx = np.minimum(np.clip((xs + 1) / max(1, x1 + 1), 0, 1), np.clip((width - xs) / max(1, width - x2 + 1), 0, 1))
    wy = np.minimum(np.clip((ys + 1) / max(1, y1 + 1), 0, 1), np.clip((height - ys) / max(1, height - y2 + 1), 0, 1))
    return np.outer(wy, wx)[:, :, None]


def paste_glyph(target: Image, box: GlyphBox, source: Image, glyph: GlyphBox, rng: random.Random) -> bool:
    """Paint the glyph ``glyph`` of ``source`` over ``box`` of ``target``, in place; False where it cannot."""
    th, tw = target.shape[:2]
    tx1, ty1, tx2, ty2, left, top = _grown(box, tw, th)
    gh, gw = source.shape[:2]
    # the glyph is cut with margins in proportion to those the target box got, then scaled onto it
    sx = (glyph.x2 - glyph.x1) / max(1, box.x2 - box.x1)
    sy = (glyph.y2 - glyph.y1) / max(1, box.y2 - box.y1)
    gx1 = max(0, round(glyph.x1 - left * sx))
    gy1 = max(0, round(glyph.y1 - top * sy))
    gx2 = min(gw, round(glyph.x2 + (tx2 - box.x2) * sx))
    gy2 = min(gh, round(glyph.y2 + (ty2 - box.y2) * sy))
    cut = source[gy1:gy2, gx1:gx2]
    region = target[ty1:ty2, tx1:tx2]
    if cut.size == 0 or region.size == 0:
        return False
    scaled = cv2.resize(cut, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_AREA)
    look = match_look(scaled, region, rng)
    if look is None:
        return False
    core = (box.x1 - tx1, box.y1 - ty1, box.x2 - tx1, box.y2 - ty1)
    weight = _feather(region.shape[0], region.shape[1], core)
    target[ty1:ty2, tx1:tx2] = np.clip(weight * look + (1 - weight) * region, 0, 255).astype(np.uint8)
    return True


def _fits(glyph: GlyphBox, box: GlyphBox) -> bool:
    ratio = glyph.aspect / max(box.aspect, 1e-6)
    tall_enough = glyph.y2 - glyph.y1 >= MIN_SCALE * (box.y2 - box.y1)
    return tall_enough and 1 / MAX_ASPECT_RATIO <= ratio <= MAX_ASPECT_RATIO


class GlyphBank:
    """The glyphs of a set of real crops, by source set and class; each crop is read once."""

    def __init__(self, crops: list[Path]) -> None:
        self._pixels: dict[Path, Image] = {}
        self._boxes: dict[Path, list[GlyphBox]] = {}
        self._by_source: dict[str, dict[int, list[Glyph]]] = defaultdict(lambda: defaultdict(list))
        self._by_class: dict[int, list[Glyph]] = defaultdict(list)
        for image in crops:
            pixels = cv2.imread(str(image))
            if pixels is None:
                raise ValueError(f"cannot read {image}")
            self._pixels[image] = pixels
            self._boxes[image] = read_boxes(label_for(image), pixels.shape[1], pixels.shape[0])
            for box in self._boxes[image]:
                if box.y2 - box.y1 >= MIN_HEIGHT:
                    glyph = Glyph(image, box)
                    self._by_source[glyph.source][box.cls].append(glyph)
                    self._by_class[box.cls].append(glyph)

    def __len__(self) -> int:
        return sum(len(glyphs) for glyphs in self._by_class.values())

    def pick(self, source: str, box: GlyphBox, rng: random.Random) -> Glyph | None:
        """A glyph of a class other than ``box``'s, of a like shape, from ``source`` where it has one."""
        for pool in (self._by_source.get(source, {}), self._by_class):
            fitting = {c: [g for g in glyphs if _fits(g.box, box)] for c, glyphs in pool.items() if c != box.cls}
            classes = sorted(c for c, glyphs in fitting.items() if glyphs)
            if classes:
                return rng.choice(fitting[rng.choice(classes)])  # every class as likely, however rare
        return None

    def swap(self, image: Path, rng: random.Random) -> tuple[Image, list[GlyphBox], list[GlyphBox]]:
        """A copy of a crop with one to three characters swapped: its pixels, old boxes and new boxes."""
        out = self._pixels[image].copy()
        boxes = self._boxes[image]
        new = list(boxes)
        tall = [i for i, b in enumerate(boxes) if b.y2 - b.y1 >= MIN_HEIGHT]
        for i in rng.sample(tall, min(len(tall), rng.choice(SWAPS))):
            glyph = self.pick(source_of(image), boxes[i], rng)
            if glyph is not None and paste_glyph(out, boxes[i], self._pixels[glyph.image], glyph.box, rng):
                b = boxes[i]
                new[i] = GlyphBox(glyph.box.cls, b.x1, b.y1, b.x2, b.y2)
        return out, boxes, new


def write_swapped_set(crops: list[Path], out: Path, count: int, seed: int = 3) -> dict[str, Any]:
    """Write up to ``count`` swapped crops of ``crops`` (real training crops in YOLO layout) to ``out``.

    A draw where no character could be swapped writes nothing, so a few fewer may be written.
    """
    fresh_folders(out)
    if count <= 0 or not crops:
        return {"written": 0}
    rng = random.Random(seed)
    bank = GlyphBank(crops)
    pasted: Counter[str] = Counter()
    written = 0
    for n in range(count):
        image = rng.choice(crops)
        pixels, old, new = bank.swap(image, rng)
        changed = [b for a, b in zip(old, new, strict=True) if a.cls != b.cls]
        if not changed:
            continue
        pasted.update(CHARSET[b.cls] for b in changed)
        write_crop(out, f"{n:05d}__{image.stem}", pixels,
                   [(CHARSET[b.cls], float(b.x1), float(b.y1), float(b.x2), float(b.y2)) for b in new])
        written += 1
    stats = {"written": written, "from_crops": len(crops), "glyphs": len(bank), "pasted": dict(sorted(pasted.items()))}
    (out / "summary.json").write_text(json.dumps(stats, indent=2) + "\n")
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crops", type=Path, nargs="+",
                        help="folders of real crops (YOLO layout); crops of validation plates are left out")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from edge.training.pipeline import split_real_crops  # noqa: PLC0415

    crops = [p for folder in args.crops for p in split_real_crops(folder)[0]]
    print(json.dumps(write_swapped_set(crops, args.out, args.count, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
