"""A YOLO model exported to ONNX: one shared onnxruntime session and what its metadata says."""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge.vision.errors import ModelError
from edge.vision.preprocess import STRIDE, fit_shape

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """What the run time needs to know about a model, read from the file itself."""

    path: Path
    names: tuple[str, ...]  # class index -> class name
    input_height: int
    input_width: int
    version: str  # carwatch_version, else the ultralytics version and date
    dynamic: bool = False  # the input's height and width may change from call to call

    def input_shape(self, height: int, width: int, size: int | None = None) -> tuple[int, int]:
        """The input (rows, columns) to letterbox a ``height`` x ``width`` image into.

        A fixed-shape model always takes its own size. A dynamic-shape one takes the image scaled as
        into its square (or into a ``size`` square), padded only to the stride: a wide frame or a
        plate crop then costs a fraction of the square's compute, as in ultralytics' own rectangular
        inference.
        """
        if not self.dynamic:
            return self.input_height, self.input_width
        return fit_shape(height, width, size or max(self.input_height, self.input_width))


def _parse_names(raw: str | None, path: Path) -> tuple[str, ...]:
    if not raw:
        raise ModelError(path, "no class names in the ONNX metadata (export it with ultralytics)")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError) as exc:
        raise ModelError(path, f"unreadable class names in the metadata: {raw[:80]!r}") from exc
    if isinstance(value, dict):
        return tuple(str(value[k]) for k in sorted(value))
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    raise ModelError(path, f"unreadable class names in the metadata: {raw[:80]!r}")


def _input_size(session: ort.InferenceSession, meta: dict[str, str], path: Path) -> tuple[int, int, bool]:
    """The input's height and width (the export size for a dynamic-shape model) and whether it is dynamic."""
    inputs = session.get_inputs()
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise ModelError(path, "not an image model: expected one input of shape [1, 3, height, width]")
    _, channels, height, width = inputs[0].shape
    if channels != 3:
        raise ModelError(path, f"expected 3 input channels, the model has {channels}")
    if isinstance(height, int) and isinstance(width, int):
        return height, width, False
    if "imgsz" in meta:  # a dynamic-shape export: its square is the size it was exported at
        try:
            size = ast.literal_eval(meta["imgsz"])
            height, width = int(size[0]), int(size[1])
        except (ValueError, SyntaxError, TypeError, IndexError) as exc:
            raise ModelError(path, f"unreadable input size in the metadata: {meta['imgsz'][:40]!r}") from exc
        if min(height, width) < STRIDE:
            raise ModelError(path, f"unreadable input size in the metadata: {meta['imgsz'][:40]!r}")
        return height, width, True
    raise ModelError(path, "the input size is neither fixed nor given in the metadata")


def _check_output(session: ort.InferenceSession, classes: int, path: Path) -> None:
    outputs = session.get_outputs()
    shape = outputs[0].shape if outputs else []
    if len(shape) != 3 or (isinstance(shape[1], int) and shape[1] != 4 + classes):
        raise ModelError(path, f"not a YOLO detection model for {classes} classes: output shape {shape}")


class OnnxModel:
    """An onnxruntime session built once; ``run`` is safe to call from many threads at once."""

    def __init__(self, path: Path | str, threads: int = 1) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(self.path, "file not found")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise ModelError(self.path, f"not a loadable ONNX model ({type(exc).__name__})") from exc
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        names = _parse_names(meta.get("names"), self.path)
        height, width, dynamic = _input_size(self._session, meta, self.path)
        _check_output(self._session, len(names), self.path)
        version = meta.get("carwatch_version") or f"ultralytics-{meta.get('version', '?')}-{meta.get('date', '?')}"
        self.info = ModelInfo(self.path, names, height, width, version, dynamic)
        self._input_name = self._session.get_inputs()[0].name
        log.info("loaded %s: %d classes, input %dx%d%s, version %s", self.path, len(names), width, height,
                 " (dynamic)" if dynamic else "", version)

    def run(self, blob: np.ndarray) -> np.ndarray:
        """Run the model on a 1x3xHxW float32 blob; returns the first output."""
        result = self._session.run(None, {self._input_name: blob})
        return np.asarray(result[0])
