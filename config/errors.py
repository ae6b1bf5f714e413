"""Readable configuration errors: one line per problem, naming the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

SECRET_FIELDS = frozenset({"secrets", "binance_api_key", "binance_api_secret", "telegram_token"})


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` holds one message per bad setting."""

    def __init__(self, problems: list[str], source: str = "configuration") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"invalid {source}:\n" + "\n".join(f"  - {p}" for p in problems))


def format_validation_error(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """Turn pydantic's errors into ``path: must be ..., got X`` lines (never echoing a secret)."""
    lines = []
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        path = ".".join(loc) or "(root)"
        secret = any(part in SECRET_FIELDS for part in loc)
        description = _describe(item, model, loc)
        if item["type"] == "value_error" and isinstance(item.get("input"), dict):
            # Rules across several fields: each message names its field first and carries the values.
            for part in description.split("; "):
                field_name, _, rest = part.partition(": ")
                if rest and field_name.isidentifier():
                    lines.append(f"{path}.{field_name}: {rest}" if path != "(root)" else f"{field_name}: {rest}")
                else:
                    lines.append(f"{path}: {part}")
            continue
        got = "(hidden)" if secret else _show(item.get("input"))
        lines.append(f"{path}: {description}, got {got}")
    return lines


def _describe(item: Any, model: type[BaseModel], loc: tuple[str, ...]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return "unknown setting (check the spelling; see `python run.py check` for every key)"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        bounds = _bounds(model, loc)
        if bounds:
            return f"must be {bounds}"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}"
    if kind == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    return str(item["msg"][0].lower() + item["msg"][1:])


def _bounds(model: type[BaseModel], loc: tuple[str, ...]) -> str:
    """The full allowed range of a numeric field, e.g. ``> 0 and <= 20``."""
    current: Any = model
    field = None
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return ""
        field = current.model_fields.get(part)
        if field is None:
            return ""
        current = field.annotation
    if field is None:
        return ""
    parts = []
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Gt):
            parts.append(f"> {meta.gt}")
        elif isinstance(meta, annotated_types.Ge):
            parts.append(f">= {meta.ge}")
        elif isinstance(meta, annotated_types.Lt):
            parts.append(f"< {meta.lt}")
        elif isinstance(meta, annotated_types.Le):
            parts.append(f"<= {meta.le}")
    return " and ".join(parts)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
