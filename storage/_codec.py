"""Value conversion at the database edge: JSON columns and numeric validation.

Numbers may arrive as float, int, ``Decimal`` or decimal strings (the OrderCore formats quantities
and prices as exchange-ready strings); they are stored as REAL. NaN and infinities are refused in
numeric columns: SQLite would silently store NaN as NULL.

JSON is stored as strict RFC 8259 text (sorted keys, no NaN) so that SQLite's ``json_*`` functions
and outside tools can read it. Indicator breakdowns may contain NaN or infinities (an indicator still
warming up): those are stored as ``null``. msgspec Structs (the project's messages), dataclasses,
numpy scalars and arrays are converted to builtins first. Decoded values are deeply read-only
(mappings become ``MappingProxyType``, lists become tuples) because records travel between actor
threads.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import MappingProxyType
from typing import Any

from storage.records import JsonValue, TakeProfitLevel

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _plain(value: Any, where: str) -> Any:
    """Convert ``value`` into JSON-ready builtins, or raise ``TypeError`` saying where."""
    if value is None or isinstance(value, bool | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Enum):
        return _plain(value.value, where)
    if isinstance(value, Decimal):
        return _plain(float(value), where)
    if hasattr(value, "__struct_fields__"):  # a msgspec Struct
        import msgspec

        return _plain(msgspec.to_builtins(value), where)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value), where)
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: JSON object keys must be strings, got {key!r}")
            result[key] = _plain(item, f"{where}.{key}")
        return result
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(items)]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist(), where)
    if hasattr(value, "item"):
        return _plain(value.item(), where)
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-serializable")


def dump_json(value: Any, where: str = "value") -> str:
    """Encode ``value`` as compact, key-sorted, strict JSON text."""
    return json.dumps(_plain(value, where), sort_keys=True, separators=(",", ":"), allow_nan=False)


def freeze(value: Any) -> JsonValue:
    """Make a decoded JSON value deeply read-only."""
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(freeze(item) for item in value)
    return value


def load_json(text: str | None) -> JsonValue:
    return None if text is None else freeze(json.loads(text))


def load_mapping(text: str | None) -> Mapping[str, JsonValue]:
    """Decode a JSON object column; ``NULL`` reads as an empty mapping."""
    value = load_json(text)
    return _EMPTY if value is None else value


def dump_mapping(value: Any, where: str) -> str:
    """Encode a JSON object column from a mapping, a msgspec Struct or a dataclass (``None``: ``{}``)."""
    if value is None:
        return "{}"
    plain = _plain(value, where)
    if not isinstance(plain, dict):
        raise TypeError(f"{where} must be a mapping or a struct, got {type(value).__name__}")
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), allow_nan=False)


Number = float | int | Decimal | str
TakeProfitInput = TakeProfitLevel | Number | tuple[Number, Number | None]


def dump_take_profits(levels: Iterable[TakeProfitInput]) -> str:
    """Encode planned take-profits as ``[{"price": p, "quantity": q-or-null}, ...]``.

    A level is a :class:`TakeProfitLevel`, a ``(price, quantity)`` pair or a bare price.
    """
    encoded = []
    for index, level in enumerate(levels):
        if isinstance(level, TakeProfitLevel):
            price, quantity = level.price, level.quantity
        elif isinstance(level, tuple):
            price, quantity = level
        else:
            price, quantity = level, None
        encoded.append(
            {
                "price": finite(f"take_profits[{index}].price", price),
                "quantity": optional_finite(f"take_profits[{index}].quantity", quantity),
            }
        )
    return dump_json(encoded, "take_profits")


def load_take_profits(text: str) -> tuple[TakeProfitLevel, ...]:
    return tuple(TakeProfitLevel(price=item["price"], quantity=item["quantity"]) for item in json.loads(text))


def finite(name: str, value: Number) -> float:
    """``value`` as a float, refusing NaN and infinities (SQLite would silently turn NaN into NULL)."""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise TypeError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def optional_finite(name: str, value: Number | None) -> float | None:
    return None if value is None else finite(name, value)


def timestamp(name: str, value: int) -> int:
    """An integer millisecond timestamp (bools and floats are refused: a float here is a unit bug)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int of milliseconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return int(value)


def optional_timestamp(name: str, value: int | None) -> int | None:
    return None if value is None else timestamp(name, value)


def text(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def optional_text(name: str, value: str | None) -> str | None:
    """A string column where ``None`` and ``""`` both mean "absent" (messages use ``""`` defaults)."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, got {value!r}")
    return value or None


def exchange_id(name: str, value: str | int | None) -> str | None:
    """Exchange ids arrive as int (Binance JSON) or str (ccxt, messages); stored as text, ``""`` = absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{name} must be a str or an int, got {value!r}")
    return str(value)
