"""The runtime JSON: settings changed while running (``/pause``, ``/aggression``), merged at start.

Written atomically (temporary file, fsync, rename) so a crash mid-write leaves the previous version,
never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class RuntimeFileError(Exception):
    """The runtime file exists but cannot be used; the message names the file and the problem."""


def read_runtime_file(path: Path) -> dict[str, Any]:
    """The overlay stored in ``path``; empty when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise RuntimeFileError(f"runtime file {path}: cannot read it ({exc.strerror})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuntimeFileError(
            f"runtime file {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise RuntimeFileError(f"runtime file {path}: must hold a JSON object, got {type(data).__name__}")
    return data


def write_runtime_changes(path: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``changes`` into the runtime file atomically and return the new content.

    A corrupt existing file is replaced (its content cannot be trusted to merge with).
    """
    try:
        current = read_runtime_file(path)
    except RuntimeFileError:
        current = {}
    merged = deep_merge(current, changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".runtime-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(merged, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return merged


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``overlay`` wins; nested dicts are merged key by key."""
    result = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result
