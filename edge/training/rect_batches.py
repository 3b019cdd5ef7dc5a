"""Rectangular training batches in a new order every epoch (the reader's ``rect`` recipe).

A plate crop is three to five times as wide as it is high: letterboxed into the reader's 256x256 square,
two thirds of what the reader computes is padding. Fed a rectangle instead (a 4:1 crop as 256x64), a
reader trained on squares reads worse (models/README.md, "Fourth session"), so it must be trained on
rectangles. ultralytics does that with ``rect=True``: it sorts the images by aspect ratio and gives each
run of ``batch`` images one shape, but then turns shuffling off, so every epoch would see the same batches
in the same order, from the squarest crops to the widest. ``ShuffledBatchOrder`` keeps each run together
(one shape per batch) and shuffles the order of the runs every epoch; ``rect_trainer`` returns an
ultralytics trainer whose training loader uses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np


class ShuffledBatchOrder:
    """A sampler for a dataset sorted into runs of ``batch`` indices (``0..batch-1``, ``batch..2*batch-1``,
    ...): each pass yields every index once, whole runs in a random order, the short last run (if any) last,
    so that a loader cutting the stream every ``batch`` indices gets exactly the runs."""

    def __init__(self, size: int, batch: int, seed: int = 0) -> None:
        if size < 0 or batch < 1:
            raise ValueError(f"need size >= 0 and batch >= 1, got {size} and {batch}")
        self.size = size
        self.batch = batch
        self.seed = seed
        self.passes = 0

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng((self.seed, self.passes))
        self.passes += 1
        full = self.size // self.batch
        for run in rng.permutation(full):
            yield from range(int(run) * self.batch, (int(run) + 1) * self.batch)
        yield from range(full * self.batch, self.size)


def rect_trainer() -> type:
    """ultralytics' DetectionTrainer, its training loader fed by ``ShuffledBatchOrder`` (train with
    ``rect=True``; validation is rectangular in ultralytics anyway). Needs the ``[train]`` extra."""
    from ultralytics.data.build import InfiniteDataLoader, seed_worker  # noqa: PLC0415 - training extra only
    from ultralytics.models.yolo.detect import DetectionTrainer  # noqa: PLC0415

    class ShuffledRectTrainer(DetectionTrainer):  # type: ignore[misc]
        def get_dataloader(self, dataset_path: str, batch_size: int = 16, rank: int = 0,
                           mode: str = "train") -> Any:
            if mode != "train" or not self.args.rect:
                return super().get_dataloader(dataset_path, batch_size, rank, mode)
            dataset = self.build_dataset(dataset_path, mode, batch_size)  # sorted into runs of batch_size
            workers = min(os.cpu_count() or 1, self.args.workers)
            return InfiniteDataLoader(
                dataset=dataset, batch_size=batch_size, shuffle=False,
                sampler=ShuffledBatchOrder(len(dataset), batch_size, seed=int(self.args.seed)),
                num_workers=workers, prefetch_factor=4 if workers else None,
                pin_memory=self.device.type == "cuda", collate_fn=dataset.collate_fn, worker_init_fn=seed_worker)

    return ShuffledRectTrainer
