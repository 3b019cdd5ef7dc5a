"""A training set's folders are emptied before it is written anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.training.self_labels import main, write_self_labelled_set
from edge.training.set_folders import fresh_folders


def test_folders_are_created_empty_and_other_files_kept(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "old.jpg").write_bytes(b"from an earlier build")
    (tmp_path / "summary.json").write_text("{}")
    images, labels, crops = fresh_folders(tmp_path, ("images", "labels", "test_crops"))
    assert (images, labels, crops) == (tmp_path / "images", tmp_path / "labels", tmp_path / "test_crops")
    assert all(f.is_dir() and not any(f.iterdir()) for f in (images, labels, crops))
    assert (tmp_path / "summary.json").exists()  # only the named folders are emptied


def test_self_labels_refuse_to_write_over_the_crops_they_skip(tmp_path: Path) -> None:
    (tmp_path / "real" / "labels").mkdir(parents=True)
    (tmp_path / "real" / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ValueError, match="elsewhere"):
        write_self_labelled_set(tmp_path / "shared", Path("models/plate-reader.onnx"), tmp_path / "real",
                                skip=tmp_path / "real")
    assert (tmp_path / "real" / "labels" / "a.txt").exists()


def test_self_labels_command_refuses_the_same_folder_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / "real"), "--skip", str(tmp_path / "real")])
    assert stop.value.code == 2 and "--skip" in capsys.readouterr().err
