"""The API's OpenAPI document as committed in edge/api/openapi.json.

Regenerate after changing the API: ``.venv/bin/python -m edge.api.openapi_doc`` (writes the file);
tests/api/test_openapi.py fails while the served document and the committed one differ.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from edge.api.app import create_app
from edge.api.context import ApiDependencies
from edge.settings.api import ApiSettings
from edge.storage.database import Database

DOCUMENT = Path(__file__).resolve().parent / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document the app serves at /openapi.json (it does not depend on settings or data)."""
    with tempfile.TemporaryDirectory() as folder:  # never connected: building the app opens nothing
        database = Database.from_url(f"sqlite:///{Path(folder) / 'unused.sqlite3'}")
        return create_app(ApiDependencies(database=database, settings=ApiSettings(bcrypt_rounds=4))).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else DOCUMENT
    target.write_text(render(openapi_document()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
