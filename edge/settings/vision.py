"""Settings of plate recognition: model files, threads, thresholds and plate formats."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.vision.formats import DEFAULT_FORMATS, PlateFormat, validate_pattern
from edge.vision.recognizer import RecognizerConfig

REPOSITORY_MODELS = Path(__file__).resolve().parents[2] / "models"


class VisionSettings(BaseSettings):
    """Which models read plates, and how. Environment: ``CARWATCH_VISION__<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CARWATCH_VISION__", extra="forbid")

    models_dir: Path = Field(default=REPOSITORY_MODELS, description="Folder holding the shipped ONNX models.")
    detector_model: str = Field(default="plate-detector.onnx", description="Detector file, relative to models_dir.")
    reader_model: str = Field(default="plate-reader.onnx", description="Character reader file, relative to models_dir.")
    threads: int = Field(default=1, ge=1, le=64, description="onnxruntime threads per model call.")
    detector_confidence: float = Field(default=0.25, gt=0, lt=1, description="Lowest plate detection confidence kept.")
    detector_tiles: int = Field(
        default=1, ge=1, le=4,
        description="1: the detector sees the whole frame. N above 1: it also runs on an NxN grid of overlapping "
                    "windows; 2 finds plates under 40 px wide far more often, at five times the detector's time.")
    tile_confidence: float = Field(
        default=0.5, gt=0, lt=1, description="Lowest confidence of a plate found only in a tile.")
    detector_zoom: bool = Field(
        default=True,
        description="A plate under 64 px wide in the detector's input is kept only when a second, zoomed look "
                    "around it finds it too, with the tighter box found there: fewer false plates, better boxes, "
                    "one more small detector run per such plate. false: one look.")
    reader_confidence: float = Field(default=0.2, gt=0, lt=1, description="Lowest character confidence kept.")
    max_substitutions: int = Field(default=2, ge=0, le=4, description="Most letter/digit swaps a format rule may make.")
    min_twin_score: float = Field(
        default=0.1, ge=0, le=1,
        description="A format rule swaps a character for its look-alike (0/O, 1/I...) only where the reader "
                    "scored the look-alike at least this high; 0 allows every swap.")
    reread_below: float = Field(
        default=0.6, ge=0, le=1,
        description="A plate whose least sure character is below this is read again from crops with wider and "
                    "tighter margins, keeping the surest reading; 0 reads each plate once.")
    formats: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FORMATS.items()},
        description="Plate patterns per region, in priority order (L letter, D digit, A any, L{1,3} counts).",
    )

    @field_validator("formats")
    @classmethod
    def _patterns_parse(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for region, patterns in value.items():
            for pattern in patterns:
                try:
                    validate_pattern(pattern)
                except ValueError as exc:
                    raise ValueError(f"region {region}: {exc}") from exc
        return value

    def recognizer_config(self) -> RecognizerConfig:
        return RecognizerConfig(
            detector_path=self.models_dir / self.detector_model,
            reader_path=self.models_dir / self.reader_model,
            threads=self.threads,
            detector_confidence=self.detector_confidence,
            detector_tiles=self.detector_tiles,
            tile_confidence=self.tile_confidence,
            detector_zoom=self.detector_zoom,
            reader_confidence=self.reader_confidence,
            formats=tuple(PlateFormat(region, tuple(p)) for region, p in self.formats.items()),
            max_substitutions=self.max_substitutions,
            min_twin_score=self.min_twin_score,
            reread_below=self.reread_below,
        )
