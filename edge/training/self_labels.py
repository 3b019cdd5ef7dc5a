"""Character boxes from the current reader, kept where its read matches the label.

Label-guided segmentation (``real_chars``) fails on about three crops in ten (fused or faint
characters, noisy copies). Where the current character model reads such a crop as the person who
labelled it did, its boxes are right enough to train on: this adds real crops that segmentation
could not box, so each fine-tune sees more real plates than the one before.

A read of the right length that differs from the label in at most ``MAX_CORRECTIONS`` places
(``KEEPIKN`` for ``KEEPLKN``) found every character but named some wrongly: its boxes are kept with
the label's classes. Those crops are the reader's own mistakes, the most useful ones to learn from.
A read of another length (a character missed, a slogan letter taken) is never used: no box can be
made up or dropped with certainty. Plates of ``reader_test_texts`` are never used.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2

from edge.training.reframe import write_crop, write_reframed
from edge.training.set_folders import fresh_folders
from edge.training.sources import crop_name, labelled_crops, load_real_images, reader_test_texts
from edge.vision.crop import crop_plate
from edge.vision.onnx_model import OnnxModel
from edge.vision.reader import CharacterReader

log = logging.getLogger(__name__)

MAX_CORRECTIONS = 2  # places where a same-length read may differ from the label


def read_fits_label(read: str, label: str, names: Sequence[str], max_corrections: int = MAX_CORRECTIONS) -> bool:
    """Whether the reader's boxes may take the label's characters as their classes, in reading order.

    They may when the read has one box per label character, differs in at most ``max_corrections``
    places, and every label character is a class of the reader (``names``).
    """
    if len(read) != len(label) or not label or any(c not in names for c in label):
        return False
    return sum(a != b for a, b in zip(read, label, strict=True)) <= max_corrections


def write_self_labelled_set(shared: Path, reader_model: Path, out: Path, skip: Path | None = None) -> dict[str, int]:
    """Write YOLO crops whose reader text is the label or differs only in names (``read_fits_label``), with
    the label's classes; ``skip`` holds already boxed crops. ``out/images`` and ``out/labels`` are emptied first."""
    if skip is not None and skip.resolve() == out.resolve():
        raise ValueError(f"{out} is the folder of boxed crops to skip: write the self-labelled ones elsewhere")
    reader = CharacterReader(OnnxModel(reader_model, threads=2))
    images = load_real_images(shared)
    held_out = reader_test_texts(images)
    already = {p.stem for p in (skip / "labels").glob("*.txt")} if skip else set()
    fresh_folders(out)
    counts = {"tried": 0, "matched": 0, "corrected": 0, "reframed": 0}
    for img, index, label in labelled_crops(images):
        name = crop_name(img, index)
        if label.text in held_out or name in already:
            continue
        frame = cv2.imread(str(img.image))
        if frame is None:
            continue
        plate = label.pixel_box(frame.shape[1], frame.shape[0])
        cut = crop_plate(frame, plate)
        counts["tried"] += 1
        chars = reader.read(cut.pixels).characters
        read = "".join(reader.names[d.class_id] for d in chars)
        if not read_fits_label(read, label.text, reader.names):
            continue
        counts["matched" if read == label.text else "corrected"] += 1
        boxes = [(c, d.box.x1, d.box.y1, d.box.x2, d.box.y2) for c, d in zip(label.text, chars, strict=True)]
        write_crop(out, name, cut.pixels, boxes)
        counts["reframed"] += write_reframed(out, name, frame, plate, boxes, origin=(cut.x0, cut.y0))
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Real character boxes from the reader where it reads the label (up to two names corrected).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--shared", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--reader", type=Path, default=Path("models/plate-reader.onnx"))
    parser.add_argument("--skip", type=Path, help="a real_chars output folder whose crops are already boxed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        counts = write_self_labelled_set(args.shared, args.reader, args.out, args.skip)
    except ValueError as exc:  # --skip is OUT
        parser.error(f"--skip: {exc}")
    log.info("self-labelled crops: %s", counts)


if __name__ == "__main__":
    main()
