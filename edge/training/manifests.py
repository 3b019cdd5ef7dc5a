"""Evaluation manifests from the shared photos: what ``make eval`` measures.

* ``val_photos.jsonl``: every photo of the re-split val side (no car or source photo shared with
  training), all its plate boxes, texts where a person could read them. Plates the shared labels
  miss (``sources.UNBOXED_PLATES``) are marked ``"ignore"``: recall is measured on the shared boxes
  only, and a detection of such a plate is not counted as false.
* ``reader_test.jsonl``: the same photos, only their plates with a text: read with
  ``--given-boxes`` this measures the character reader alone, on plates it never trained on.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import cv2

from edge.training.sources import RealImage, load_real_images

log = logging.getLogger(__name__)

SOURCE_COUNTRY = {"ro-dashcam": "RO", "us-roboflow": "US"}


def _entry(img: RealImage, only_labelled: bool) -> dict[str, Any] | None:
    shape = cv2.imread(str(img.image), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    if shape is None:
        return None
    height, width = shape.shape[0] * 2, shape.shape[1] * 2
    plates = []
    for p in img.plates:
        if only_labelled and not p.text:
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


def write_manifests(shared: Path, out: Path) -> dict[str, int]:
    val = [i for i in load_real_images(shared) if i.split == "val"]
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, only_labelled in (("val_photos", False), ("reader_test", True)):
        entries = [e for e in (_entry(i, only_labelled) for i in val) if e is not None]
        (out / f"{name}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
        counts[name] = len(entries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description="Write evaluation manifests from ../shared/datasets.")
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    log.info("manifests: %s", write_manifests(args.shared, args.out))


if __name__ == "__main__":
    main()
