"""Evaluation manifests from the shared photos: what ``make eval`` measures.

* ``val_photos.jsonl``: every photo of the re-split val side (no car or source photo shared with
  training), all its plate boxes, texts where a person could read them. Plates the shared labels
  miss (``sources.UNBOXED_PLATES``) are marked ``"ignore"``: recall is measured on the shared boxes
  only, and a detection of such a plate is not counted as false.
* ``reader_test.jsonl``: the same photos, only their plates with a text: read with
  ``--given-boxes`` this measures the character reader alone, on plates it never trained on.
* ``reader_val.jsonl``: plates with a text on training photos whose text validates the reader
  (``sources.reader_val_text``) and is not a test text: the reader never trained on them either, but
  its best epoch was chosen on them. Tune run-time rules here, then confirm them on ``reader_test``.
* ``source-<set>.jsonl`` (with ``--sources``): every photo of one shared set, train and val, all its plate
  boxes: recall on a whole source, for a detector trained without it (``pipeline train --without``).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import cv2

from edge.training.sources import SETS, RealImage, load_real_images, reader_test_texts, reader_val_text

log = logging.getLogger(__name__)

SOURCE_COUNTRY = {"ro-dashcam": "RO", "us-roboflow": "US"}


def _entry(img: RealImage, only_labelled: bool, texts: set[str] | None = None) -> dict[str, Any] | None:
    """The photo's manifest line: all its plates, or only those with a text (from ``texts`` when given)."""
    shape = cv2.imread(str(img.image), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    if shape is None:
        return None
    height, width = shape.shape[0] * 2, shape.shape[1] * 2
    plates = []
    for p in img.plates:
        if (only_labelled and not p.text) or (texts is not None and p.text not in texts):
            continue
        box = p.pixel_box(width, height)
        plate: dict[str, Any] = {"text": p.text, "box": [round(v, 1) for v in box],
                                 "country": p.country or SOURCE_COUNTRY.get(img.source, ""), "source": img.source}
        if p.added:  # a plate the shared labels miss: neither a miss nor a false detection
            plate["ignore"] = True
        plates.append(plate)
    if only_labelled and not plates:
        return None
    return {"image": str(img.image.resolve()), "plates": plates}


def write_manifests(shared: Path, out: Path, sources: bool = False) -> dict[str, int]:
    images = load_real_images(shared)
    val = [i for i in images if i.split == "val"]
    test_texts = reader_test_texts(images)
    val_texts = {p.text for i in images for p in i.plates
                 if p.text and p.text not in test_texts and reader_val_text(p.text)}
    train = [i for i in images if i.split == "train"]
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    wanted = [("val_photos", val, False, None), ("reader_test", val, True, None),
              ("reader_val", train, True, val_texts)]
    if sources:
        wanted += [(f"source-{s}", [i for i in images if i.source == s], False, None) for s in SETS]
    for name, photos, only_labelled, texts in wanted:
        entries = [e for e in (_entry(i, only_labelled, texts) for i in photos) if e is not None]
        (out / f"{name}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
        counts[name] = len(entries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description="Write evaluation manifests from ../shared/datasets.")
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    parser.add_argument("--sources", action="store_true",
                        help="also source-<set>.jsonl: every photo of each set, for detectors trained without it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    log.info("manifests: %s", write_manifests(args.shared, args.out, args.sources))


if __name__ == "__main__":
    main()
