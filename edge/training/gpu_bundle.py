"""``make gpu-bundle``: everything a lent GPU machine needs to fine-tune both models, in ``.gpu/``.

The GPU machine has torch but not ultralytics, and no network; what travels to it (the working tree
plus carried paths) must stay under 64 MiB. The bundle holds:

* ``build/detector`` and ``build/reader``: the training sets of ``make models-data``, packed
  (``edge.training.pack``: images shrunk to the training size, WebP);
* ``wheels/``: ultralytics and the two small packages it needs that the machine lacks, for its Python;
* ``stubs/polars``: a stand-in for polars, which ultralytics imports only to read its results.csv
  back into the checkpoint (the real wheel is 35 MB);
* ``yolo/Ultralytics/Arial.ttf``: the font ultralytics would otherwise download;
* ``job.sh``: installs the wheels, points the packed sets at where they lie, runs the trainings of ``JOBS``
  at once (default both models, ``edge.training.pipeline train``, the recipe of ``make models``) within
  ``HOURS`` each, and puts each one's best and last checkpoints, log and results table into
  ``$OUT/<run>.tar``, also when ``LIMIT_S`` cut a training short (the ONNX files are exported back here).

The bundle is written loose into a staging folder (``build/gpu-bundle``), then archived as the one file
``.gpu/bundle.tar.gz``: the device counts a travelling tree with an overhead per file, and 19,422 loose
files of 63.4 MiB were refused as over 64 MiB, while the archive of them travelled.

On the GPU machine, with ``.gpu`` carried: ``tar xzf .gpu/bundle.tar.gz && bash .gpu/job.sh``; back here,
unpack each ``<run>.tar``, copy the checkpoints into ``models/checkpoints/`` and run ``python -m
edge.training.pipeline export`` (see models/README.md).
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from edge.training.pack import pack
from edge.training.train import FONT_CANDIDATES

log = logging.getLogger(__name__)

CARRY_LIMIT_MIB = 64.0
MIB = 1024 * 1024
# What the GPU machine lacks (seen in the second session: torch 2.11 on Python 3.12, no ultralytics).
WHEELS = ("ultralytics-thop", "onnxslim")
# (set, longest side, WebP quality, most val images). Sized to travel with the tracked files once the two
# ONNX files are moved aside: about 33 MiB of detector photos (rough WebP is also an augmentation), 12 MiB of
# reader crops and labels. All the detector's dev photos travel (150 in the seventh session): they are set
# aside from the training photos, not held out, and more of them pick the best epoch more surely.
PACKS = (("detector", 640, 40, None), ("reader", 256, 45, None))
ROOM_MARGIN_MIB = 0.5  # for files added to the working tree after the bundle is made
ASIDE = "models/*.onnx"  # what the job does not need (it trains from models/checkpoints): moved aside to travel

POLARS_STUB = '''"""Stand-in for polars on the GPU machine: ultralytics imports it only in ``read_results_csv``,
which catches any error (the checkpoint then carries no results table)."""


def read_csv(*args: object, **kwargs: object) -> object:
    raise RuntimeError("polars is a stand-in on this machine")
'''

JOB = '''#!/bin/bash
# Fine-tune both CarWatch models on a GPU (written by edge/training/gpu_bundle.py). Usage, from the
# repository root, after tar xzf .gpu/bundle.tar.gz:
#   HOURS=0.13 LIMIT_S=540 bash .gpu/job.sh   (results in $OUT, or .gpu/out without it)
#   JOBS="reader reader@320" ... trains the reader twice at once instead, the second at 320 px
#   JOBS="detector detector~ro-dashcam" ... also a detector from nothing that never sees ro-dashcam
# PATIENCE=0 trains each model until HOURS run out instead of stopping after 30 epochs without a better
# validation score (see pipeline.train_and_export).
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-.gpu/out}"
HOURS="${HOURS:-0.12}"
WORKERS="${WORKERS:-7}"
DEVICE="${DEVICE:-0}"
mkdir -p "$OUT"
python -m pip install --quiet --no-deps --no-index .gpu/wheels/*.whl > /tmp/carwatch-pip.log 2>&1 \\
    || cat /tmp/carwatch-pip.log
export PYTHONPATH="$PWD/.gpu/stubs:$PWD" YOLO_CONFIG_DIR="$PWD/.gpu/yolo" YOLO_OFFLINE=1
for set in detector reader; do
    python -m edge.training.pack ".gpu/build/$set/data.yaml" --root ".gpu/build/$set"
done
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
# Each training runs under LIMIT_S seconds (0: no limit) and its archive ($OUT/<run>.tar) is written as soon
# as it stops, even when the limit cut it short; nothing is exported here (onnx may be missing, and
# ultralytics would try to install it with no network): the checkpoints are exported back home.
# JOBS lists the trainings, run at once: a model name trains it with its recipe; <model>@<size> is a trial at
# another input size (pipeline train --imgsz), run and checkpoint named <model>-<size>; detector~<source>
# trains a detector from nothing without that source (--without), named detector-without-<source>.
mkdir -p "$OUT"
JOBS="${JOBS:-detector reader}"
for job in $JOBS; do
    model="$job"
    run="$job"
    extra=()
    case "$job" in
        *@*) model="${job%@*}"; run="$model-${job#*@}"; extra=(--imgsz "${job#*@}") ;;
        *~*) model="${job%~*}"; run="$model-without-${job#*~}"; extra=(--without "${job#*~}") ;;
    esac
    (
        stage=".gpu/out/$run"
        mkdir -p "$stage/checkpoints"
        timeout --kill-after=15 "${LIMIT_S:-0}" python -m edge.training.pipeline train --no-export \\
            --build .gpu/build --device "$DEVICE" --hours "$HOURS" --workers "$WORKERS" --models "$model" \\
            "${extra[@]}" --patience "${PATIENCE:-30}" > "$stage/$run.log" 2>&1
        echo "training $run ended: $?" >> "$stage/$run.log"
        weights=".gpu/build/runs/$run/weights"
        cp "$weights/best.pt" "$stage/checkpoints/$run.pt"
        cp ".gpu/build/runs/$run/results.csv" "$stage/$run-results.csv"
        # One file of at most 16 MiB comes back per job: a checkpoint cut short by LIMIT_S still holds its
        # optimizer (about twice the size), so the last epoch's travels only when both fit.
        if [ -f "$weights/last.pt" ] && [ $(( $(stat -c %s "$weights/best.pt") + $(stat -c %s "$weights/last.pt") )) \\
                -lt $(( 15 * 1048576 )) ]; then
            cp "$weights/last.pt" "$stage/checkpoints/$run-last.pt"
        else
            echo "last.pt not sent back: with best.pt it would pass 15 MiB" >> "$stage/$run.log"
        fi
        tar cf "$OUT/$run.tar" -C "$stage" .
    ) &
done
wait
# One archive per job comes back (at most eight files may): its best and last checkpoints, log and results
# table; at home: for t in <files_at>/*.tar; do tar xf "$t" -C <folder>; done
for log in .gpu/out/*/*.log; do
    tail -n 5 "$log"
done
ls -l "$OUT"
'''


def _size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / MIB


def _tracked_mib(repo: Path) -> float:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    files = (repo / name for name in listing.decode().split("\0") if name)
    return sum(f.stat().st_size for f in files if f.is_file()) / MIB


def _ultralytics_version() -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version("ultralytics")


def download_wheels(out: Path, python_version: str) -> None:
    """The wheels for the GPU machine's Python, without their dependencies (it has torch and the rest)."""
    out.mkdir(parents=True, exist_ok=True)
    wanted = [f"ultralytics=={_ultralytics_version()}", *WHEELS]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", python_version, "--dest", str(out), *wanted], check=True)


def _pack_set(build: Path, out: Path, name: str, train_limit: int | None) -> dict[str, int]:
    side, quality, val_limit = next((side, q, v) for n, side, q, v in PACKS if n == name)
    data = build / name / "data.yaml"
    if not data.exists():
        raise FileNotFoundError(f"{data} is missing: run `make models-data` first")
    return pack(data, out / "build" / name, side, quality, {"train": train_limit, "val": val_limit})


def write_bundle(build: Path, out: Path, python_version: str, train_limit: int | None,
                 room_mib: float | None = None) -> dict[str, float]:
    """Write ``out`` (replacing it) from the sets under ``build``; returns sizes in MiB. With ``room_mib``,
    detector training photos are dropped (at random, once) until the bundle fits in it."""
    if out.exists():
        shutil.rmtree(out)
    packed = {name: _pack_set(build, out, name, train_limit if name == "detector" else None) for name, *_ in PACKS}
    download_wheels(out / "wheels", python_version)
    stub = out / "stubs" / "polars"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(POLARS_STUB)
    font = next((f for f in FONT_CANDIDATES if f.exists()), None)
    if font is not None:
        (out / "yolo" / "Ultralytics").mkdir(parents=True)
        shutil.copy(font, out / "yolo" / "Ultralytics" / "Arial.ttf")
    (out / "job.sh").write_text(JOB)
    (out / "job.sh").chmod(0o755)
    excess = _size_mib(out) - room_mib if room_mib is not None else 0.0
    if excess > 0:
        photos = out / "build" / "detector" / "images" / "train"
        count = packed["detector"]["train"]
        per_photo = _size_mib(photos) / max(1, count)
        keep = count - math.ceil(1.05 * excess / per_photo)
        if keep < count // 2:
            raise ValueError(f"the bundle is {excess:.1f} MiB too big even for half the detector photos")
        log.info("dropping %d of %d detector photos to fit in %.1f MiB", count - keep, count, room_mib)
        _pack_set(build, out, "detector", keep)
    sizes = {part.name: round(_size_mib(part), 1) for part in sorted(out.iterdir()) if part.is_dir()}
    sizes["bundle"] = round(_size_mib(out), 1)
    return sizes


def archive(staging: Path, out: Path) -> Path:
    """Replace ``out`` with a folder holding ``bundle.tar.gz``: ``staging``'s files under ``out.name``
    (``tar xzf`` in the repository root on the device puts ``job.sh`` back at ``.gpu/job.sh``)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    target = out / "bundle.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=1) as tar:  # WebP does not shrink: be quick
        tar.add(staging, arcname=out.name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pack data, wheels and a job script for training on a GPU machine.")
    parser.add_argument("--build", type=Path, default=Path("build"), help="where make models-data wrote the sets")
    parser.add_argument("--out", type=Path, default=Path(".gpu"), help="where bundle.tar.gz goes (replaced)")
    parser.add_argument("--python-version", default="3.12", help="the GPU machine's Python (for the wheels)")
    parser.add_argument("--train-limit", type=int, help="at most this many detector training images (size)")
    args = parser.parse_args(argv)
    if args.train_limit is not None and args.train_limit < 1:
        parser.error("--train-limit must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    repo = Path.cwd()
    travelling = _tracked_mib(repo) - sum(f.stat().st_size for f in repo.glob(ASIDE)) / MIB
    room = CARRY_LIMIT_MIB - travelling - ROOM_MARGIN_MIB
    staging = args.build / "gpu-bundle"
    try:
        sizes = write_bundle(args.build, staging, args.python_version, args.train_limit, room_mib=room)
    except (FileNotFoundError, ValueError) as exc:
        log.error("no bundle: %s", exc)
        return 1
    packed = archive(staging, args.out)  # a little smaller than the loose files that write_bundle fitted
    packed_mib = packed.stat().st_size / MIB
    log.info("bundle %s MiB loose (%s), %.1f MiB as %s + tracked files without %s %.1f MiB = %.1f MiB of the "
             "%.0f MiB that may travel", sizes["bundle"], sizes, packed_mib, packed, ASIDE, travelling,
             travelling + packed_mib, CARRY_LIMIT_MIB)
    log.info("to run it: move %s out of the working tree, then on the GPU machine, with %s carried: "
             "tar xzf %s && HOURS=0.13 LIMIT_S=540 bash %s/job.sh (results in $OUT)",
             ASIDE, args.out, packed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
