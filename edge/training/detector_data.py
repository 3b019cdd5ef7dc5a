"""Build the plate-detector training set (YOLO layout) from the real photos and rendered scenes."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from pathlib import Path

from edge.training.sources import RealImage, detector_dev_photo, load_real_images

log = logging.getLogger(__name__)

# Near-duplicate frames and augmented copies cost CPU time and teach little: keep a few per group.
MAX_PER_GROUP = {"ro-dashcam": 6, "us-roboflow": 2}


def _thin(images: list[RealImage]) -> list[RealImage]:
    kept: list[RealImage] = []
    per_group: dict[str, int] = defaultdict(int)
    for img in images:
        cap = MAX_PER_GROUP.get(img.source)
        key = img.source + img.group
        if img.split == "train" and cap is not None:
            if per_group[key] >= cap:
                continue
            per_group[key] += 1
        kept.append(img)
    return kept


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    os.symlink(src.resolve(), dst)


def write_detector_dataset(shared: Path, out: Path, extra_train: Path | None = None) -> Path:
    """Write ``out/data.yaml`` with train and val lists; returns the yaml path.

    The yaml's val list, which picks the best epoch, is the dev photos set aside from the train side
    (``detector_dev_photo``), not the held-out val photos: those only measure (``make eval``).
    ``extra_train`` is a folder in YOLO layout (``images/``, ``labels/``) of rendered scenes
    that is added to train only: validation stays real.
    """
    images = [i for i in _thin(load_real_images(shared)) if i.split == "train"]
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for img in images:
        split = "val" if detector_dev_photo(img) else "train"
        name = f"{img.source}__{img.image.name}"
        dst = out / "images" / split / name
        _link(img.image, dst)
        label = out / "labels" / split / (Path(name).stem + ".txt")
        label.parent.mkdir(parents=True, exist_ok=True)
        boxes = (p.box for p in img.plates)
        label.write_text("".join(f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n" for cx, cy, w, h in boxes))
        lists[split].append(str(dst.absolute()))
    if extra_train is not None and extra_train.is_dir():
        lists["train"].extend(str(p.resolve()) for p in sorted((extra_train / "images").glob("*.jpg")))
    for split, files in lists.items():
        (out / f"{split}.txt").write_text("\n".join(files) + "\n")
        log.info("detector %s: %d images", split, len(files))
    yaml_path = out / "data.yaml"
    yaml_path.write_text(
        f"path: {out.resolve()}\ntrain: {(out / 'train.txt').resolve()}\nval: {(out / 'val.txt').resolve()}\n"
        "names:\n  0: plate\n"
    )
    return yaml_path
