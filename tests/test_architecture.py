"""Dependencies point one way (see ../shared/guide/architecture.md): checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

EDGE = Path(__file__).resolve().parents[1] / "edge"

# package -> edge packages it must never import
ALL = {"domain", "settings", "sources", "vision", "tracking", "events", "storage", "sinks", "api", "service",
       "pipeline", "app", "training", "cli", "evaluation", "bench", "daemon_bench", "image_header"}

# package -> the edge packages it may import (architecture.md); everything else is forbidden
ALLOWED = {
    "domain": set(),
    "image_header": set(),  # stdlib only: image format and size from the first bytes
    "vision": {"domain", "image_header"},
    "settings": {"domain", "vision"},  # vision: plate formats and RecognizerConfig (a documented deviation)
    "sources": {"domain", "settings", "image_header"},
    "tracking": {"domain"},
    "events": {"domain", "settings"},
    "storage": {"domain", "settings"},
    "sinks": {"domain", "storage", "settings"},
    "service": {"domain"},
    "api": {"domain", "storage", "events", "settings", "service", "image_header"},
    "pipeline": ALL - {"api", "app", "cli", "training", "pipeline", "evaluation", "bench", "daemon_bench"},
    "daemon_bench": {"app", "domain", "settings"},
    "evaluation": {"domain", "vision", "settings", "tracking"},  # tracking: the per-vehicle vote it measures
    "bench": {"domain", "vision", "settings"},
}
FORBIDDEN = {package: ALL - allowed - {package} for package, allowed in ALLOWED.items()}
THIRD_PARTY_TRAINING_ONLY = {"torch", "ultralytics", "onnx", "PIL"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _package(path: Path) -> str:
    rel = path.relative_to(EDGE)
    return rel.parts[0].removesuffix(".py")


def test_packages_import_only_downstream() -> None:
    problems = []
    for path in EDGE.rglob("*.py"):
        forbidden = FORBIDDEN.get(_package(path), set())
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "edge" and len(parts) > 1 and parts[1] in forbidden:
                problems.append(f"{path.relative_to(EDGE)} imports {name}")
    assert not problems, problems


def test_training_libraries_only_in_training() -> None:
    problems = []
    for path in EDGE.rglob("*.py"):
        if _package(path) == "training":
            continue
        for name in _imports(path):
            if name.split(".")[0] in THIRD_PARTY_TRAINING_ONLY:
                problems.append(f"{path.relative_to(EDGE)} imports {name}")
    assert not problems, problems


def test_no_print_outside_the_cli() -> None:
    offenders = []
    for path in EDGE.rglob("*.py"):
        if path.name == "cli.py" or _package(path) == "training":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(EDGE)}:{node.lineno}")
    assert not offenders, offenders
