"""The command line: ``python -m edge.training.render reader|scenes|sheet``."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from edge.training.render.contact_sheet import draw_sheet
from edge.training.render.dataset_writers import write_reader_set, write_scene_set
from edge.training.sources import RealImage, load_real_images

DESCRIPTION = "Synthetic licence plates with character boxes, for training the plate reader and the plate detector."


def _train_photos(shared: Path) -> list[RealImage]:
    return [i for i in load_real_images(shared) if i.split == "train"] if shared.is_dir() else []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m edge.training.render", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("reader", "reader crops (YOLO, classes = CHARSET)"), ("scenes", "detector scenes (YOLO)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("out", type=Path)
        p.add_argument("--count", type=int, default=1000)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="the real photo sets")
    p = sub.add_parser("sheet", help="contact sheet of rendered plates with their character boxes")
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=48)
    p.add_argument("--clean", action="store_true", help="no effects")
    p.add_argument("--reader", action="store_true", help="reader crops instead of plates")
    p.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="backgrounds for --reader")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.monotonic()
    if args.command == "reader":
        n = write_reader_set(args.out, args.count, args.seed, [i.image for i in _train_photos(args.shared)])
        print(f"{n} reader crops in {args.out} ({time.monotonic() - start:.1f} s)")
    elif args.command == "scenes":
        n = write_scene_set(args.out, args.count, args.seed, _train_photos(args.shared))
        print(f"{n} scenes in {args.out} ({time.monotonic() - start:.1f} s)")
    else:
        photos = [i.image for i in _train_photos(args.shared)] if args.reader else []
        draw_sheet(args.out, args.seed, count=args.count, effects=not args.clean, reader=args.reader,
                   backgrounds=photos)
        print(f"sheet {args.out} ({time.monotonic() - start:.1f} s)")
