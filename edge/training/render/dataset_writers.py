"""YOLO training sets written to disk: reader crops and detector scenes, with their label lines."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np

from edge.training.render.photo_backgrounds import plate_free, plate_free_photo, read_photo
from edge.training.render.pixels import Image8, PixelBox
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_types import EffectConfig
from edge.training.render.random_draws import chance, pick
from edge.training.render.reader_samples import reader_sample
from edge.training.render.scene_composition import compose_scene, photo_boxes
from edge.training.set_folders import fresh_folders
from edge.training.sources import RealImage, source_named

log = logging.getLogger(__name__)

BACKGROUND_REUSE = 8  # reader samples cut from one decoded background photo


def _yolo_line(cls: int, box: PixelBox, w: int, h: int) -> str:
    x1, y1, x2, y2 = box
    return f"{cls} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}\n"


def write_reader_set(out: Path, count: int, seed: int, backgrounds: list[Path],
                     config: EffectConfig | None = None) -> int:
    """Write ``count`` reader crops in YOLO layout (``out/images/*.jpg``, ``out/labels/*.txt``, classes
    index CHARSET). Most are set into patches of the ``backgrounds`` photos, the rest into textures."""
    rng = np.random.default_rng(seed)
    fonts = FontSet.find()
    images, labels = fresh_folders(out)
    photo: Image8 | None = None
    start = time.monotonic()
    for i in range(count):
        if backgrounds and i % BACKGROUND_REUSE == 0:
            photo = plate_free_photo(rng, pick(rng, backgrounds))
        crop, boxes = reader_sample(rng, photo if chance(rng, 0.85) else None, fonts=fonts, config=config)
        name = f"render{seed}_{i:06d}"
        cv2.imwrite(str(images / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
        h, w = crop.shape[:2]
        (labels / f"{name}.txt").write_text("".join(_yolo_line(c, (x1, y1, x2, y2), w, h)
                                                    for c, x1, y1, x2, y2 in boxes))
    log.info("reader set %s: %d crops in %.1f s", out, count, time.monotonic() - start)
    return count


def write_scene_set(out: Path, count: int, seed: int, backgrounds: list[RealImage],
                    config: EffectConfig | None = None) -> int:
    """Write ``count`` detector scenes in YOLO layout (class 0 = plate): train photos with 1-3 rendered
    plates pasted in, their own plates kept as labels, and about a tenth plate-free crops."""
    photos = [b for b in backgrounds if b.split == "train"]
    if not photos:
        raise ValueError("no train photos to paste plates into")
    rng = np.random.default_rng(seed)
    fonts, cfg = FontSet.find(), config or EffectConfig()
    images, labels = fresh_folders(out)
    written, start = 0, time.monotonic()
    for _ in range(count * 5):
        if written >= count:
            break
        real = pick(rng, photos)
        photo = read_photo(real.image)
        if photo is None:
            continue
        boxes = photo_boxes(real, photo.shape[1], photo.shape[0])
        result = plate_free(rng, photo, boxes) if chance(rng, 0.1) else compose_scene(rng, photo, boxes, fonts, cfg)
        if result is None:
            continue
        scene, plates = result
        name = source_named(real.source, f"scene{seed}_{written:06d}")  # its real plates are that source's
        cv2.imwrite(str(images / f"{name}.jpg"), scene, [cv2.IMWRITE_JPEG_QUALITY, 92])
        sh, sw = scene.shape[:2]
        (labels / f"{name}.txt").write_text("".join(_yolo_line(0, b, sw, sh) for b in plates))
        written += 1
    log.info("scene set %s: %d scenes in %.1f s", out, written, time.monotonic() - start)
    return written
