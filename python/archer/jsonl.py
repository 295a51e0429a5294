"""One reader for JSON Lines inputs (training data, `archer score` files), so every command reports a
bad line the same way: the file, the row number and what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_json_objects(path: Path, error: type[Exception]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each non-blank line; raises ``error`` naming the file and
    row for a line that is not a JSON object."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}: row {lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise error(f"{path}: row {lineno}: expected a JSON object per line")
            yield lineno, row
