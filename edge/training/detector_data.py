"""Build the plate-detector training set (YOLO layout) from the real photos and rendered scenes."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from pathlib import Path

from edge.training.pack import names_block, split_images
from edge.training.sources import RealImage, detector_dev_photo, from_source, load_real_images, source_named

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
        name = source_named(img.source, img.image.name)
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


class LeaveOutError(ValueError):
    """A source cannot be left out of a detector set: the set lacks a split, or holds none of its images."""


def leave_source_out(data_yaml: Path, source: str) -> Path:
    """Beside a detector set's ``data.yaml``, write ``data-without-<source>.yaml``: the same set without
    any photo of ``source``, nor any scene pasted on one (their names say their source, also packed), in
    training or in the validation that picks the best epoch. A detector trained on it measures how it
    does on a whole source it never saw (``source-<name>.jsonl`` of ``edge.training.manifests``)."""
    lists = {}
    for split in ("train", "val"):
        try:
            images = split_images(data_yaml, split)
        except ValueError as exc:
            raise LeaveOutError(str(exc)) from exc
        kept = [p for p in images if not from_source(p, source)]
        if split == "train" and len(kept) == len(images):
            raise LeaveOutError(f"no training image of {source} in {data_yaml}: nothing to leave out")
        listing = data_yaml.parent / f"{split}-without-{source}.txt"
        listing.write_text("".join(f"{p.absolute()}\n" for p in kept))
        lists[split] = listing
        log.info("detector %s without %s: %d of %d images", split, source, len(kept), len(images))
    out = data_yaml.parent / f"data-without-{source}.yaml"
    out.write_text(f"path: {data_yaml.parent.resolve()}\ntrain: {lists['train'].resolve()}\n"
                   f"val: {lists['val'].resolve()}\n" + names_block(data_yaml))
    return out
