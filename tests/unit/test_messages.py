"""Every message class is immutable: no attribute can be set, and containers inside are tuples."""

from __future__ import annotations

import inspect
import typing

import msgspec
import msgspec.inspect as mi
import pytest

import messages
from messages.base import Message


def _all_message_classes() -> list[type[Message]]:
    found: set[type[Message]] = set()
    for module in (
        messages.base,
        messages.market,
        messages.signals,
        messages.risk,
        messages.orders,
        messages.control,
        messages.notifications,
        messages.supervision,
    ):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Message) and obj.__module__ == module.__name__:
                found.add(obj)
    return sorted(found, key=lambda c: c.__qualname__)


def _sample(t: mi.Type) -> object:
    """A valid value for a msgspec type description (enough to construct any message)."""
    if isinstance(t, mi.StructType):
        return t.cls(**{f.name: _sample(f.type) for f in t.fields if f.required})
    if isinstance(t, mi.UnionType):
        return _sample(next(x for x in t.types if not isinstance(x, mi.NoneType)))
    if isinstance(t, mi.LiteralType):
        return t.values[0]
    samples = {mi.IntType: 1, mi.FloatType: 1.5, mi.StrType: "x", mi.BoolType: True}
    for kind, value in samples.items():
        if isinstance(t, kind):
            return value
    if isinstance(t, mi.AnyType):
        return "any immutable value"
    if isinstance(t, mi.VarTupleType):
        return (_sample(t.item_type),)
    raise AssertionError(f"no sample for {t}")


CLASSES = _all_message_classes()


def test_the_families_are_all_found() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"CandleClosed", "SignalGenerated", "EntryApproved", "OrderUpdate", "PauseTrading", "Notify",
            "ChildFailed"} <= names
    assert len(CLASSES) >= 30


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_message_refuses_mutation(cls: type[Message]) -> None:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    instance = cls(**{f.name: _sample(f.type) for f in info.fields if f.required})
    for field in info.fields:
        with pytest.raises(AttributeError):
            setattr(instance, field.name, getattr(instance, field.name))
    with pytest.raises(AttributeError):
        instance.new_attribute = 1  # type: ignore[attr-defined]
    hash(instance)  # frozen structs are hashable only when everything inside is immutable


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_message_holds_no_mutable_container(cls: type[Message]) -> None:
    hints = typing.get_type_hints(cls)
    for name, hint in hints.items():
        text = repr(hint)
        assert "list[" not in text and "dict[" not in text and "set[" not in text, f"{cls.__name__}.{name}: {text}"


def test_messages_carry_integer_millisecond_times() -> None:
    for cls in CLASSES:
        for field in mi.type_info(cls).fields:  # type: ignore[union-attr]
            if field.name.startswith("ts_") or field.name.endswith("_ms"):
                kinds = field.type.types if isinstance(field.type, mi.UnionType) else (field.type,)
                assert any(isinstance(k, mi.IntType) for k in kinds), f"{cls.__name__}.{field.name}"


def test_messages_round_trip_through_msgspec_json() -> None:
    candle = messages.Candle(open_time=0, close_time=60_000, open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0)
    event = messages.CandleClosed(symbol="BTC/USDC:USDC", timeframe="1m", candle=candle, source="ws",
                                  ts_event=60_000, ts_init=60_001)
    decoded = msgspec.json.decode(msgspec.json.encode(event), type=messages.CandleClosed)
    assert decoded == event
