"""Surroundings for plates: synthetic textures, patches of photos and plate-free crops of them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.training.render.pixels import Image8, PixelBox, f32, u8
from edge.training.render.plate_mounting import CAR_PAINTS
from edge.training.render.random_draws import Rng, chance, jitter, pick, uni


def texture(rng: Rng, h: int, w: int) -> Image8:
    """A synthetic surrounding: car paint, blotchy clutter or a grille."""
    kind = int(rng.integers(3))
    base = f32(jitter(rng, pick(rng, CAR_PAINTS), 20))
    if kind == 0:
        shade = np.linspace(uni(rng, 0.6, 1.2), uni(rng, 0.5, 1.1), h, dtype=np.float32)[:, None, None]
        f = np.broadcast_to(base * shade, (h, w, 3)).copy()
    elif kind == 1:
        grey = np.zeros((h, w), np.float32)
        for cell in (3, 12, 40):
            noise = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
            grey += cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC) * uni(rng, 0.2, 0.6)
        f = grey[..., None] * base * uni(rng, 0.6, 1.0) + f32(rng.uniform(0, 30, 3))
    else:
        f = np.broadcast_to(base * 0.4, (h, w, 3)).copy()
        step = max(3, int(rng.integers(4, 16)))
        f[::step] = base
        f[1::step] = base * 0.8
    return u8(f + rng.normal(0, 4, f.shape[:2])[..., None])


def photo_patch(rng: Rng, photo: Image8, h: int, w: int) -> Image8:
    """A random crop of ``photo`` at a random scale, resized to h by w."""
    ph, pw = photo.shape[:2]
    scale = uni(rng, 0.5, 2.0)
    cw = int(np.clip(w / scale, 8, pw))
    ch = int(np.clip(cw * h / w, 8, ph))
    cw = int(np.clip(ch * w / h, 8, pw))
    x, y = int(rng.integers(0, pw - cw + 1)), int(rng.integers(0, ph - ch + 1))
    patch = photo[y:y + ch, x:x + cw]
    if chance(rng, 0.5):
        patch = patch[:, ::-1]
    return u8(cv2.resize(np.ascontiguousarray(patch), (w, h), interpolation=cv2.INTER_LINEAR))


def read_photo(path: Path) -> Image8 | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or float(image.mean()) < 8:  # unreadable, or one of the all-black frames
        return None
    return u8(image)


def _label_boxes(image: Path, w: int, h: int) -> list[PixelBox]:
    """Plate boxes of a photo from its YOLO label file (``.../images/x/a.jpg`` -> ``.../labels/x/a.txt``)."""
    parts = list(image.parts)
    if "images" not in parts:
        return []
    k = len(parts) - 1 - parts[::-1].index("images")
    label = Path(*parts[:k], "labels", *parts[k + 1:]).with_suffix(".txt")
    boxes: list[PixelBox] = []
    if label.exists():
        for line in label.read_text().splitlines():
            values = line.split()
            if len(values) == 5:
                cx, cy, bw, bh = (float(v) for v in values[1:])
                boxes.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return boxes


def overlaps(a: PixelBox, b: PixelBox, margin: float = 0.0) -> bool:
    mx, my = (b[2] - b[0]) * margin, (b[3] - b[1]) * margin
    return a[0] < b[2] + mx and b[0] - mx < a[2] and a[1] < b[3] + my and b[1] - my < a[3]


def plate_free(rng: Rng, photo: Image8, boxes: list[PixelBox]) -> tuple[Image8, list[PixelBox]] | None:
    """A crop of the photo that holds none of its plate boxes: a negative for the detector."""
    h, w = photo.shape[:2]
    for _ in range(30):
        cw, ch = int(w * uni(rng, 0.3, 0.7)), int(h * uni(rng, 0.3, 0.7))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        if not any(overlaps((x, y, x + cw, y + ch), b, 0.05) for b in boxes):
            return np.ascontiguousarray(photo[y:y + ch, x:x + cw]), []
    return None


def plate_free_photo(rng: Rng, path: Path) -> Image8 | None:
    """A background photo, cut to a region without any of its labelled plates."""
    photo = read_photo(path)
    if photo is None:
        return None
    boxes = _label_boxes(path, photo.shape[1], photo.shape[0])
    if not boxes:
        return photo
    free = plate_free(rng, photo, boxes)
    return free[0] if free is not None else None
