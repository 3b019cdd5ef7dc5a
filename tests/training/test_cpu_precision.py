"""Training precision on the CPU: bfloat16 only where the processor has it, and ultralytics' autocast
opened to it without changing any other request."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import pytest

from edge.training.cpu_precision import allow_cpu_bfloat16, amp_setting

SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile"})
EPYC_ZEN2 = frozenset({"avx2", "fma"})


@pytest.mark.parametrize(("device", "precision", "flags", "expected"), [
    ("cpu", "auto", SAPPHIRE_RAPIDS, "bf16"),
    ("cpu", "auto", EPYC_ZEN2, False),
    ("cpu", "auto", frozenset(), False),
    ("cpu", "bf16", EPYC_ZEN2, "bf16"),
    ("cpu", "fp32", SAPPHIRE_RAPIDS, False),
    ("0", "auto", EPYC_ZEN2, True),
    ("0", "bf16", EPYC_ZEN2, "bf16"),
    ("0", "fp32", SAPPHIRE_RAPIDS, False),
])
def test_amp_setting(device: str, precision: Any, flags: frozenset[str], expected: bool | str) -> None:
    assert amp_setting(device, precision, flags) == expected


class _Recorder:
    """Stands in for torch (its ``bfloat16`` and ``autocast``) and for ultralytics' own autocast."""

    bfloat16 = object()
    float16 = object()

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []

    def autocast(self, device: str, dtype: Any = None) -> contextlib.AbstractContextManager[None]:
        self.calls.append(("torch", device, dtype))
        return contextlib.nullcontext()

    def ultralytics_autocast(self, enabled: Any, device: str = "cuda") -> contextlib.AbstractContextManager[None]:
        if enabled is self.bfloat16 and device != "cuda":
            raise RuntimeError("bfloat16 autocast requires CUDA")
        self.calls.append(("ultralytics", device, enabled))
        return contextlib.nullcontext()


def test_cpu_bfloat16_goes_to_torch_and_everything_else_to_ultralytics() -> None:
    fake = _Recorder()
    trainer = SimpleNamespace(autocast=fake.ultralytics_autocast)
    with pytest.raises(RuntimeError):
        trainer.autocast(fake.bfloat16, device="cpu")
    allow_cpu_bfloat16(trainer, fake)
    with trainer.autocast(fake.bfloat16, device="cpu"):
        pass
    with trainer.autocast(True, device="cuda"), trainer.autocast(False, device="cpu"):
        pass
    assert fake.calls == [("torch", "cpu", fake.bfloat16), ("ultralytics", "cuda", True),
                          ("ultralytics", "cpu", False)]


def test_opening_twice_wraps_once() -> None:
    fake = _Recorder()
    trainer = SimpleNamespace(autocast=fake.ultralytics_autocast)
    allow_cpu_bfloat16(trainer, fake)
    first = trainer.autocast
    allow_cpu_bfloat16(trainer, fake)
    assert trainer.autocast is first
