"""`surge.lazy_names`: a package's `__getattr__` that imports a name on first read and keeps it."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from surge.lazy_names import lazy_getattr


def test_a_name_is_imported_on_first_read_and_kept() -> None:
    namespace: dict[str, Any] = {"__name__": "surge"}
    sources = {"parse_duration": "surge.units", "Code": "surge.exit_codes:ExitCode"}
    get = lazy_getattr(namespace, sources)
    from surge.exit_codes import ExitCode
    from surge.units import parse_duration

    assert get("parse_duration") is parse_duration
    assert get("Code") is ExitCode  # "module:attribute": under another name
    assert namespace["parse_duration"] is parse_duration and namespace["Code"] is ExitCode


def test_a_submodule_is_the_module_and_a_name_like_a_module_is_the_name() -> None:
    namespace: dict[str, Any] = {"__name__": "surge.store"}
    get = lazy_getattr(namespace, {"fingerprint": "surge.store.fingerprint"}, ("location",))
    assert get("location") is sys.modules["surge.store.location"]
    fingerprint = get("fingerprint")  # the function, not its module surge.store.fingerprint
    assert fingerprint is sys.modules["surge.store.fingerprint"].fingerprint


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    get = lazy_getattr({"__name__": "surge.store"}, {})
    with pytest.raises(AttributeError, match=r"module 'surge\.store' has no attribute 'nope'"):
        get("nope")
