"""Training precision on the CPU: bfloat16 where the processor computes it natively.

On a CPU with AMX or AVX-512 BF16 (Intel Sapphire Rapids and newer, AMD Zen 4 and newer), PyTorch's
oneDNN convolutions run much faster in bfloat16 than in float32: a YOLOv8n training step took half the
time on a 2-core Intel Xeon with AMX, a whole training batch (data loading included) 1.7 times less.
ultralytics accepts ``amp="bf16"`` but its autocast refuses bfloat16 on anything but CUDA;
``allow_cpu_bfloat16`` lifts that refusal in the trainer only (validation stays in float32, and
checkpoints are saved as ultralytics saves them).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, Literal

log = logging.getLogger(__name__)

Precision = Literal["auto", "bf16", "fp32"]
# CPU flags (``/proc/cpuinfo``) that mean native bfloat16 arithmetic.
BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def amp_setting(device: str, precision: Precision, flags: frozenset[str]) -> bool | str:
    """The ``amp`` argument for ultralytics: mixed precision on a GPU, bfloat16 on a CPU that has it.

    ``precision`` "auto" picks bfloat16 on a CPU only where ``flags`` show native support; "bf16" asks
    for it anyway (slow, emulated, on a CPU without it); "fp32" turns mixed precision off everywhere.
    """
    if precision == "fp32":
        return False
    if device != "cpu":
        return "bf16" if precision == "bf16" else True
    if precision == "bf16" or flags & BF16_FLAGS:
        return "bf16"
    return False


def allow_cpu_bfloat16(trainer_module: Any, torch: Any) -> None:
    """Let ultralytics' trainer run its forward and loss under CPU bfloat16 autocast.

    ``trainer_module`` is ``ultralytics.engine.trainer``, whose ``autocast`` raises for bfloat16 off
    CUDA, and ``torch`` the torch module. The replacement hands a CPU bfloat16 request to
    ``torch.autocast`` and everything else to the original.
    """
    original: Callable[..., Any] = trainer_module.autocast
    if getattr(original, "carwatch_cpu_bfloat16", False):
        return

    def autocast(enabled: Any, device: str = "cuda") -> contextlib.AbstractContextManager[Any]:
        context: contextlib.AbstractContextManager[Any]
        if device == "cpu" and enabled is torch.bfloat16:
            context = torch.autocast("cpu", dtype=torch.bfloat16)
        else:
            context = original(enabled, device=device)
        return context

    autocast.carwatch_cpu_bfloat16 = True  # type: ignore[attr-defined]
    trainer_module.autocast = autocast
    log.info("CPU training in bfloat16 autocast")
