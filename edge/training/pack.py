"""Pack a YOLO data set into one small, self-contained folder, to train on another machine.

Images are shrunk to the training size (nothing is lost: the trainer letterboxes to that size anyway)
and re-encoded as WebP; labels are normalised YOLO boxes, so they are copied unchanged. The folder's
``data.yaml`` names its splits relative to itself; ``--root`` rewrites that path on the other side.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
from pathlib import Path

import cv2

log = logging.getLogger(__name__)


def label_for(image: Path) -> Path:
    """The ultralytics convention: the last ``/images/`` becomes ``/labels/``, the suffix ``.txt``."""
    parts = list(image.parts)
    index = len(parts) - 1 - parts[::-1].index("images")
    parts[index] = "labels"
    return Path(*parts).with_suffix(".txt")


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _yaml_entries(data_yaml: Path) -> dict[str, str]:
    entries = {}
    for line in data_yaml.read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"path", "train", "val"} and value.strip():
            entries[key] = value.strip()
    return entries


def split_images(data_yaml: Path, split: str) -> list[Path]:
    """The images of a split, listed in a file (``make models-data``) or held in a folder (a packed set,
    relative to its ``path``); a ValueError when the yaml names no such split."""
    entries = _yaml_entries(data_yaml)
    if split not in entries:
        raise ValueError(f"{data_yaml} has no {split}: line")
    where = Path(entries[split])
    if not where.is_absolute():
        where = Path(entries.get("path", str(data_yaml.parent))) / where
    if where.is_dir():
        return sorted(p for p in where.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [Path(line) for line in where.read_text().splitlines() if line.strip()]


def names_block(data_yaml: Path) -> str:
    """The ``names:`` block that ends a data.yaml."""
    text = data_yaml.read_text()
    return text[text.index("names:"):]


def pack(data_yaml: Path, out: Path, max_side: int, quality: int, limits: dict[str, int | None]) -> dict[str, int]:
    """Write ``out/{images,labels}/{train,val}`` and ``out/data.yaml``; returns images written per split."""
    if out.exists():
        shutil.rmtree(out)
    written: dict[str, int] = {}
    for split in ("train", "val"):
        images = split_images(data_yaml, split)
        limit = limits.get(split)
        if limit is not None and limit < len(images):
            images = sorted(random.Random(0).sample(images, limit))
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
        count = 0
        for i, image_path in enumerate(images):
            image = cv2.imread(str(image_path))
            if image is None:
                log.warning("skipped unreadable %s", image_path)
                continue
            h, w = image.shape[:2]
            scale = min(1.0, max_side / max(h, w))
            if scale < 1.0:
                image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            name = f"{i:06d}_{image_path.stem}"  # the listing's order, and the name that says its source
            cv2.imwrite(str(out / "images" / split / f"{name}.webp"), image, [cv2.IMWRITE_WEBP_QUALITY, quality])
            label = label_for(image_path)
            target = out / "labels" / split / f"{name}.txt"
            target.write_text(label.read_text() if label.exists() else "")
            count += 1
        written[split] = count
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\n"
                                   + names_block(data_yaml))
    log.info("packed %s: %s", out, written)
    return written


def set_root(data_yaml: Path, root: Path) -> None:
    """Point a packed folder's data.yaml at where the folder now lies."""
    lines = data_yaml.read_text().splitlines()
    lines = [f"path: {root.resolve()}" if line.startswith("path:") else line for line in lines]
    data_yaml.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="data.yaml of the set to pack (or of a packed set, with --root)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--max-side", type=int, default=640)
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--train-limit", type=int)
    parser.add_argument("--val-limit", type=int)
    parser.add_argument("--root", type=Path, help="only rewrite the packed data.yaml's path")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.root is not None:
        set_root(args.data, args.root)
        return
    if args.out is None:
        parser.error("--out is needed to pack")
    pack(args.data, args.out, args.max_side, args.quality, {"train": args.train_limit, "val": args.val_limit})


if __name__ == "__main__":
    main()
