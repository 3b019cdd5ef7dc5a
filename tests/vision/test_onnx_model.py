"""Model files: a missing, corrupt or wrong model gives one clear error naming the path."""

from pathlib import Path

import pytest

from edge.settings.vision import VisionSettings
from edge.vision.errors import ModelError
from edge.vision.onnx_model import ModelInfo, OnnxModel
from edge.vision.reader import CharacterReader

DATA = Path(__file__).resolve().parents[1] / "data"
MODELS = VisionSettings().models_dir


def test_missing_model_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.onnx"
    with pytest.raises(ModelError, match=f"{path}: file not found"):
        OnnxModel(path)


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, b"not an onnx model at all" * 100])
def test_corrupt_model_names_the_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=f"{path}: not a loadable ONNX model"):
        OnnxModel(path)


def test_truncated_real_model(tmp_path: Path) -> None:
    path = tmp_path / "half.onnx"
    data = (MODELS / "plate-detector.onnx").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=str(path)):
        OnnxModel(path)


def test_onnx_that_is_not_a_yolo_detector() -> None:
    with pytest.raises(ModelError, match="not a YOLO detection model"):
        OnnxModel(DATA / "identity.onnx")


def test_detector_model_is_refused_as_character_reader() -> None:
    with pytest.raises(ModelError, match="not a character model"):
        CharacterReader(OnnxModel(MODELS / "plate-detector.onnx"))


def test_shipped_models_carry_their_metadata() -> None:
    detector = OnnxModel(MODELS / "plate-detector.onnx").info
    reader = OnnxModel(MODELS / "plate-reader.onnx").info
    assert detector.names == ("plate",)
    assert reader.names == tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert detector.input_height > 0 and reader.input_width > 0
    assert detector.version.startswith("detector-") and reader.version.startswith("reader-")
    for name in ("plate-detector.onnx", "plate-reader.onnx"):
        assert (MODELS / name).stat().st_size < 15 * 1024 * 1024


def test_dynamic_detector_letterboxes_a_wide_frame_into_a_rectangle() -> None:
    detector = OnnxModel(MODELS / "plate-detector.onnx").info
    assert detector.dynamic
    assert (detector.input_height, detector.input_width) == (512, 512)  # the square it was exported at
    assert detector.input_shape(1080, 1920) == (288, 512)
    assert detector.input_shape(1920, 1080) == (512, 288)
    assert detector.input_shape(240, 400, size=320) == (192, 320)  # a zoomed look: a smaller square


def test_fixed_reader_always_takes_its_square() -> None:
    reader = OnnxModel(MODELS / "plate-reader.onnx").info
    assert not reader.dynamic
    assert reader.input_shape(50, 200) == (256, 256)
    fixed = ModelInfo(Path("m.onnx"), ("plate",), 320, 416, "v1")
    assert fixed.input_shape(1080, 1920) == (320, 416)
    assert fixed.input_shape(240, 400, size=160) == (320, 416)  # a fixed input cannot shrink


@pytest.mark.parametrize("size", [b"[512, ZZZ]", b"[]        ", b"512       ", b"[0, 0]    ", b"[-512, 1] "])
def test_dynamic_model_with_an_unreadable_size_names_the_path(tmp_path: Path, size: bytes) -> None:
    data = (MODELS / "plate-detector.onnx").read_bytes()
    assert data.count(b"[512, 512]") == 1  # the metadata value, replaced with one of the same length
    path = tmp_path / "bad-size.onnx"
    path.write_bytes(data.replace(b"[512, 512]", size))
    with pytest.raises(ModelError, match=f"{path}: unreadable input size in the metadata"):
        OnnxModel(path)
