"""Shuffled rectangular batches: every index once per pass, whole runs of one shape, a new order each pass."""

from __future__ import annotations

import pytest

from edge.training.rect_batches import ShuffledBatchOrder


def _runs(order: list[int], batch: int) -> list[list[int]]:
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def test_each_pass_yields_every_index_once_in_whole_runs() -> None:
    sampler = ShuffledBatchOrder(103, 10, seed=3)
    order = list(sampler)
    assert sorted(order) == list(range(103)) and len(sampler) == 103
    for run in _runs(order, 10):  # a loader cutting every 10 indices gets one sorted run: one shape per batch
        assert run == list(range(run[0], run[0] + len(run))) and run[0] % 10 == 0
    assert _runs(order, 10)[-1] == [100, 101, 102]  # the short run comes last, so it never splits another


def test_the_order_of_runs_changes_from_pass_to_pass_and_repeats_with_the_seed() -> None:
    first, second = list(ShuffledBatchOrder(400, 16, seed=1)), None
    sampler = ShuffledBatchOrder(400, 16, seed=1)
    assert list(sampler) == first  # the same seed, the same first pass
    second = list(sampler)
    assert second != first and sorted(second) == sorted(first)
    assert first != list(range(400))  # shuffled, not ultralytics' fixed order from squarest to widest


@pytest.mark.parametrize(("size", "batch"), [(0, 8), (5, 8), (8, 8)])
def test_small_sets_are_one_run_or_none(size: int, batch: int) -> None:
    assert list(ShuffledBatchOrder(size, batch)) == list(range(size))


@pytest.mark.parametrize(("size", "batch"), [(-1, 8), (10, 0)])
def test_nonsense_sizes_are_refused(size: int, batch: int) -> None:
    with pytest.raises(ValueError, match="batch"):
        ShuffledBatchOrder(size, batch)
