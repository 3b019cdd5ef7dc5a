"""The real photo sets in ``../shared/datasets`` and a car- and photo-disjoint split of them.

The given splits of ``ro-dashcam`` and ``us-roboflow`` share cars and source photos between
train and val, so measuring on them flatters a model. This module re-splits every set so that
no car (ro-dashcam: same plate text, same stretch of video) and no source photo (us-roboflow:
augmented copies of one photo) is on both sides:

* ``ro-dashcam``: frames are cut into 90-second blocks per video; blocks are split by a stable
  hash, then any block that shares a plate text with the other side is moved to train.
* ``us-roboflow``: augmented copies are grouped by their source photo name; groups are split
  by a stable hash.
* ``oid-plates-*``: independent photos; the given split is kept, but photos of the few plates
  seen in more than one photo (listed in the data set README) go to train.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SETS = ("ro-dashcam", "us-roboflow", "oid-plates-416", "oid-plates-1024")
VAL_SHARE = 0.2
DETECTOR_DEV_SHARE = 0.1
READER_VAL_SHARE = 0.1
SOURCE_MARK = "__"  # between a shared set's name and the rest of a training file's name (source_named)
RO_BLOCK_SECONDS = 90
# Plates seen in more than one photo across the Open Images sets (shared/datasets/README.md).
SHARED_OID_PLATES = {"V328FNN", "BM351", "MEV1226", "UGO466", "KAKAOLV", "C63AMG", "CPV94H", "6611172"}
# Visible plates the shared labels leave unboxed, found with ``label_review`` and confirmed by eye.
UNBOXED_PLATES = Path(__file__).with_name("labels") / "unboxed_plates.csv"
# Shared boxes placed off their plate (shifted, loose or too thin), with the plate's box confirmed by eye.
MOVED_BOXES = Path(__file__).with_name("labels") / "moved_boxes.csv"


@dataclass(frozen=True)
class PlateLabel:
    """One boxed plate of a real photo, with its text when a person could read it."""

    box: tuple[float, float, float, float]  # normalised cx, cy, w, h
    text: str  # "" when not labelled or "?"
    rows: int
    country: str
    note: str
    added: bool = False  # boxed by this project (UNBOXED_PLATES), not in the shared labels

    def pixel_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The box as x1, y1, x2, y2 in pixels of a ``width`` x ``height`` photo."""
        cx, cy, w, h = self.box
        return (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height


@dataclass(frozen=True)
class RealImage:
    """One real photo with its plate boxes and the split it belongs to here."""

    source: str  # data set name
    image: Path
    group: str  # the unit that must not straddle splits (video block, source photo, photo)
    split: str  # "train" or "val"
    plates: tuple[PlateLabel, ...]


def source_named(source: str, name: str) -> str:
    """A training file name that says which shared set it comes from (``ro-dashcam__<name>``), so that a
    set can be left out of training by name alone, also after packing (``from_source``)."""
    return f"{source}{SOURCE_MARK}{name}"


def crop_name(img: RealImage, index: int) -> str:
    """The file name (without suffix) of the crop of ``img``'s plate number ``index``, in the reader's sets."""
    return source_named(img.source, f"{img.split}__{img.image.stem}__{index}")


def from_source(path: Path | str, source: str) -> bool:
    """Whether a training file (``source_named``, possibly packed as ``000123_<name>``) comes from ``source``."""
    name = Path(path).name
    return name.startswith(f"{source}{SOURCE_MARK}") or f"_{source}{SOURCE_MARK}" in name


def _stable_fraction(key: str) -> float:
    digest = hashlib.sha1(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _read_labels(label_file: Path) -> list[tuple[float, float, float, float]]:
    boxes = []
    if label_file.exists():
        for line in label_file.read_text().splitlines():
            parts = line.split()
            if len(parts) == 5:
                boxes.append((float(parts[1]), float(parts[2]), float(parts[3]), float(parts[4])))
    return boxes


def _read_texts(set_dir: Path) -> dict[tuple[str, int], dict[str, str]]:
    texts: dict[tuple[str, int], dict[str, str]] = {}
    csv_path = set_dir / "plates.csv"
    if csv_path.exists():
        with csv_path.open(newline="") as f:
            for row in csv.DictReader(f):
                texts[(row["image"], int(row["box"]))] = row
    return texts


def _box_rows(path: Path, kind: str) -> list[tuple[int, dict[str, str], tuple[float, float, float, float]]]:
    """The rows of a box list with their line numbers and normalised ``cx``, ``cy``, ``w``, ``h`` boxes.

    A row without a set, an image or a box inside the image raises ``ValueError`` naming its line.
    """
    if not path.exists():
        return []
    rows = []
    with path.open(newline="") as f:
        for line, row in enumerate(csv.DictReader(f), 2):
            try:
                cx, cy, w, h = (float(row[k]) for k in ("cx", "cy", "w", "h"))
                if not (row["source"] and row["image"]):
                    raise ValueError("no set or image")
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{line}: not {kind} row ({exc})") from exc
            if not (0 < w <= 1 and 0 < h <= 1 and 0 <= cx <= 1 and 0 <= cy <= 1):
                raise ValueError(f"{path}:{line}: box outside the image: {(cx, cy, w, h)}")
            rows.append((line, row, (cx, cy, w, h)))
    return rows


def read_unboxed_plates(path: Path = UNBOXED_PLATES) -> dict[tuple[str, str], list[PlateLabel]]:
    """The plates this project boxed itself, by (set, image path relative to the set folder).

    Columns: ``source``, ``image``, ``cx``, ``cy``, ``w``, ``h`` (normalised, as in YOLO labels),
    ``note``. A bad row raises ``ValueError`` naming its line.
    """
    added: dict[tuple[str, str], list[PlateLabel]] = defaultdict(list)
    for _, row, box in _box_rows(path, "an unboxed-plate"):
        added[(row["source"], row["image"])].append(PlateLabel(box, "", 1, "", row.get("note") or "", added=True))
    return added


def read_moved_boxes(path: Path = MOVED_BOXES) -> dict[tuple[str, str, int], tuple[float, float, float, float]]:
    """Shared boxes this project placed again, by (set, image path relative to the set folder, box index).

    Columns: ``source``, ``image``, ``box`` (the box's line in the photo's label file, from 0, as
    ``plates.csv`` counts them), ``cx``, ``cy``, ``w``, ``h`` (normalised), ``note``. A bad row raises
    ``ValueError`` naming its line.
    """
    moved = {}
    for line, row, box in _box_rows(path, "a moved-box"):
        try:
            index = int(row.get("box") or "")
            if index < 0:
                raise ValueError(f"box index {index} is negative")
        except ValueError as exc:
            raise ValueError(f"{path}:{line}: not a moved-box row ({exc})") from exc
        moved[(row["source"], row["image"], index)] = box
    return moved


def _group_of(source: str, rel: str) -> str:
    name = Path(rel).name
    if source == "ro-dashcam":
        match = re.match(r"(.+?)_t_(\d+)\.jpg$", name)
        if match:
            return f"{match.group(1)}#{int(match.group(2)) // RO_BLOCK_SECONDS}"
    if source == "us-roboflow":
        return re.sub(r"(_jpe?g)?_jpg\.rf\.[0-9a-f]+\.jpg$|\.rf\.[0-9a-f]+\.jpg$", "", name)
    return name


def _load_set(root: Path, source: str, unboxed: dict[tuple[str, str], list[PlateLabel]],
              moved: dict[tuple[str, str, int], tuple[float, float, float, float]]) -> list[RealImage]:
    set_dir = root / source
    texts = _read_texts(set_dir)
    images = []
    for image in sorted((set_dir / "images").glob("*/*.jpg")):
        rel = image.relative_to(set_dir).as_posix()
        label_file = set_dir / "labels" / image.parent.name / (image.stem + ".txt")
        plates = []
        for i, box in enumerate(_read_labels(label_file)):
            row = texts.get((rel, i), {})
            text = row.get("text", "")
            plates.append(
                PlateLabel(
                    box=moved.get((source, rel, i), box),
                    text="" if text == "?" else text,
                    rows=int(row.get("rows") or 1),
                    country=row.get("country", ""),
                    note=row.get("note", ""),
                )
            )
        plates += unboxed.get((source, rel), [])
        given = image.parent.name
        group = _group_of(source, rel)
        images.append(RealImage(source, image, group, given, tuple(plates)))
    return images


def _resplit_by_group(images: list[RealImage]) -> list[RealImage]:
    out = []
    for img in images:
        split = "val" if _stable_fraction(img.source + img.group) < VAL_SHARE else "train"
        out.append(RealImage(img.source, img.image, img.group, split, img.plates))
    return out


def _make_car_disjoint(images: list[RealImage]) -> list[RealImage]:
    """Move every group that shares a plate text with a train group into train."""
    groups: dict[str, list[RealImage]] = defaultdict(list)
    for img in images:
        groups[img.group].append(img)
    texts_by_group = {g: {p.text for i in imgs for p in i.plates if p.text} for g, imgs in groups.items()}
    split_of = {g: imgs[0].split for g, imgs in groups.items()}
    changed = True
    while changed:
        changed = False
        train_texts = set().union(*(texts_by_group[g] for g, s in split_of.items() if s == "train"))
        for g, s in split_of.items():
            if s == "val" and texts_by_group[g] & train_texts:
                split_of[g] = "train"
                changed = True
    return [RealImage(i.source, i.image, i.group, split_of[i.group], i.plates) for i in images]


def load_real_images(root: Path, unboxed_plates: Path = UNBOXED_PLATES,
                      moved_boxes: Path = MOVED_BOXES) -> list[RealImage]:
    """All real photos of the shared sets, re-split so that val shares no car or source photo.

    Each photo's plates are the shared set's boxes (in their label-file order, as ``plates.csv``
    counts them; those in ``moved_boxes`` where that list places them), then the plates of
    ``unboxed_plates`` on that photo.
    """
    result: list[RealImage] = []
    unboxed = read_unboxed_plates(unboxed_plates)
    moved = read_moved_boxes(moved_boxes)
    for source in SETS:
        if not (root / source).is_dir():
            continue
        images = _load_set(root, source, unboxed, moved)
        if source in ("ro-dashcam", "us-roboflow"):
            images = _resplit_by_group(images)
        if source == "ro-dashcam":
            images = _make_car_disjoint(images)
        if source.startswith("oid-plates"):
            images = [
                RealImage(i.source, i.image, i.group, "train", i.plates)
                if any(p.text in SHARED_OID_PLATES for p in i.plates)
                else i
                for i in images
            ]
        result.extend(images)
    return result


def detector_dev_photo(img: RealImage) -> bool:
    """Whether a training photo is set aside to pick the detector's best epoch (its validation set).

    A tenth of the train side, by group, so that the held-out val photos that measure the detector
    never choose its weights. Open Images and us-roboflow dev photos share no photo with training;
    a ro-dashcam dev block may show a car seen in another block, which only makes the choice of
    epoch a little less sharp.
    """
    return img.split == "train" and _stable_fraction("dev:" + img.source + img.group) < DETECTOR_DEV_SHARE


def reader_val_text(text: str) -> bool:
    """Whether a plate text validates the reader instead of training it: a tenth of the texts, by hash, so
    that one car never straddles both sides. Those crops pick the reader's best epoch, and run-time rules
    can be tuned on them (``reader_val.jsonl``) without touching the held-out test plates."""
    return _stable_fraction(text) < READER_VAL_SHARE


def reader_test_texts(images: list[RealImage]) -> set[str]:
    """Plate texts kept out of character-model training: every text seen on a val photo.

    Measuring the reader on these plates (alone, or end to end on the val photos) then measures
    plates the reader never saw, in photos the detector never saw.
    """
    return {p.text for i in images if i.split == "val" for p in i.plates if p.text}


def labelled_crops(images: list[RealImage]) -> list[tuple[RealImage, int, PlateLabel]]:
    """Every plate with a text, as (image, box index, label)."""
    return [(img, k, p) for img in images for k, p in enumerate(img.plates) if p.text]
