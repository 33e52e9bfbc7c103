"""The lossless document of a RunResult: JSON driven by the dataclass fields and type hints.

Nothing here names a field of RunResult: every frozen dataclass reachable from it is written
field by field from its type hints, so a field added later (with a default) is stored and read
back with no edit here, and a document written before the field existed reads back with the
default. Supported hints: dataclasses, enums, `X | None`, `tuple[X, ...]`, fixed tuples,
`Mapping[K, V]` (objects for str keys, [key, value] pairs otherwise), list, int, float, str,
bool, and `Any` (JSON values as they are). `Histogram`s are the HDR V2 text plus the exact
count, min, max and sum beside it.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import json
import types
import typing
import zlib
from typing import Any

from surge.metrics import Histogram, RunResult
from surge.store.hdr import HdrDecodeError, hdr_decode, hdr_encode

CODEC_VERSION = 1
COMPRESS_ABOVE_BYTES = 16_384
JSON = "json"
JSON_ZLIB = "json+zlib"

_MAPPINGS = (collections.abc.Mapping, dict, collections.abc.MutableMapping)
_SEQUENCES = (list, collections.abc.Sequence)


class CodecError(ValueError):
    """A value the codec cannot write, or a document it cannot read."""


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _arms(hint: Any) -> tuple[Any, ...] | None:
    """The non-None members of a union hint, None when the hint is not a union."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(hint) if a is not type(None))
    return None


def to_json_value(value: Any) -> Any:
    """An `Any`-typed value as JSON: containers copied, tuples as lists."""
    if isinstance(value, collections.abc.Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise CodecError(f"cannot store a {type(value).__name__} in an untyped (Any) field")


def encode_value(value: Any, hint: Any) -> Any:
    """`value` (of type `hint`) as JSON-ready data."""
    arms = _arms(hint)
    if arms is not None:
        if value is None:
            return None
        if len(arms) != 1:
            return to_json_value(value)
        hint = arms[0]
    if hint is Any:
        return to_json_value(value)
    if hint is Histogram:
        return _encode_histogram(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = _hints(hint)
        return {f.name: encode_value(getattr(value, f.name), hints[f.name]) for f in _fields(hint)}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value.value
    if hint is float:
        return float(value)
    if hint in (int, str, bool):
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return [encode_value(v, args[0]) for v in value]
        return [encode_value(v, a) for v, a in zip(value, args, strict=True)]
    if origin in _SEQUENCES:
        return [encode_value(v, args[0] if args else Any) for v in value]
    if origin in _MAPPINGS:
        key, item = args if args else (str, Any)
        if key is str:
            return {k: encode_value(v, item) for k, v in value.items()}
        return [[encode_value(k, key), encode_value(v, item)] for k, v in value.items()]
    raise CodecError(f"cannot store a value of type {hint!r}")


def decode_value(data: Any, hint: Any) -> Any:
    """Inverse of `encode_value`."""
    arms = _arms(hint)
    if arms is not None:
        if data is None:
            return None
        if len(arms) != 1:
            return data
        hint = arms[0]
    if hint is Any:
        return data
    if hint is Histogram:
        return _decode_histogram(data)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _decode_dataclass(data, hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if hint is float:
        return float(data)
    if hint in (int, str, bool):
        return data
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode_value(v, args[0]) for v in data)
        return tuple(decode_value(v, a) for v, a in zip(data, args, strict=True))
    if origin in _SEQUENCES:
        return [decode_value(v, args[0] if args else Any) for v in data]
    if origin in _MAPPINGS:
        key, item = args if args else (str, Any)
        if key is str:
            return {k: decode_value(v, item) for k, v in data.items()}
        return {decode_value(k, key): decode_value(v, item) for k, v in data}
    raise CodecError(f"cannot read a value of type {hint!r}")


def unsupported_types(hint: Any, _seen: set[type] | None = None) -> list[str]:
    """Every type reachable from `hint` that the codec cannot store (empty: all of it can)."""
    seen = set() if _seen is None else _seen
    arms = _arms(hint)
    if arms is not None:
        return [bad for arm in arms for bad in unsupported_types(arm, seen)]
    if hint in (Any, Histogram, int, float, str, bool):
        return []
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return []
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if hint in seen:
            return []
        seen.add(hint)
        hints = _hints(hint)
        return [bad for f in _fields(hint) for bad in unsupported_types(hints[f.name], seen)]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple or origin in _SEQUENCES or origin in _MAPPINGS:
        return [bad for a in args if a is not Ellipsis for bad in unsupported_types(a, seen)]
    return [repr(hint)]


def _decode_dataclass(data: Any, cls: type) -> Any:
    """Fields missing from the document (older than the field) take their defaults; keys the
    class does not know (a newer surge wrote them) are ignored."""
    if not isinstance(data, dict):
        raise CodecError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = _hints(cls)
    kwargs = {
        f.name: decode_value(data[f.name], hints[f.name]) for f in _fields(cls) if f.name in data
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise CodecError(f"stored {cls.__name__} is incomplete: {exc}") from None


def _encode_histogram(histogram: Histogram) -> dict[str, Any]:
    return {
        "hdr": hdr_encode(histogram) if histogram.total else None,
        "count": histogram.total,
        "min_us": histogram.min_us,
        "max_us": histogram.max_us,
        "sum_us": histogram.sum_us,
    }


def _decode_histogram(data: dict[str, Any]) -> Histogram:
    if data["hdr"] is None:
        empty = Histogram.empty()
        return dataclasses.replace(
            empty, min_us=data["min_us"], max_us=data["max_us"], sum_us=data["sum_us"]
        )
    try:
        histogram = hdr_decode(
            data["hdr"], min_us=data["min_us"], max_us=data["max_us"], sum_us=data["sum_us"]
        )
    except HdrDecodeError as exc:
        raise CodecError(str(exc)) from None
    if histogram.total != data["count"]:
        raise CodecError(f"histogram holds {histogram.total} values, {data['count']} stored")
    return histogram


def encode_result(result: RunResult) -> dict[str, Any]:
    return {"codec": CODEC_VERSION, "result": encode_value(result, RunResult)}


def decode_result(document: dict[str, Any]) -> RunResult:
    version = document.get("codec")
    if version != CODEC_VERSION:
        raise CodecError(
            f"stored run has codec version {version}, this surge reads {CODEC_VERSION}"
        )
    result: RunResult = decode_value(document["result"], RunResult)
    return result


def pack(document: dict[str, Any]) -> tuple[str, bytes]:
    """The document as (encoding, bytes): JSON, zlib-compressed when large."""
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(raw) > COMPRESS_ABOVE_BYTES:
        return JSON_ZLIB, zlib.compress(raw, 6)
    return JSON, raw


def unpack(encoding: str, data: bytes) -> dict[str, Any]:
    if encoding == JSON_ZLIB:
        data = zlib.decompress(data)
    elif encoding != JSON:
        raise CodecError(f"unknown document encoding {encoding!r}")
    document: dict[str, Any] = json.loads(data.decode("utf-8"))
    return document
