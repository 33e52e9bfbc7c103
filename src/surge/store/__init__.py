"""surge.store: every run kept with its fingerprint (SQLite by default, PostgreSQL by URL), and
the baselines runs are compared against.

Names load on first use (PEP 562): `surge.store.location` and the value types cost nothing;
`Store` loads SQLAlchemy.
"""

import typing as _typing

from surge.lazy_names import lazy_getattr as _lazy_getattr

if _typing.TYPE_CHECKING:
    from surge.store.codec import CodecError, decode_result, encode_result
    from surge.store.database import Store
    from surge.store.fingerprint import fingerprint, git_state
    from surge.store.location import ENV_VAR, resolve_url
    from surge.store.model import (
        Baseline,
        Fingerprint,
        RunSummary,
        StoredRun,
        StoreError,
        StoreMissing,
    )
    from surge.store.python_api import baseline_run_ids, establish_baseline
    from surge.store.schema import SCHEMA_VERSION

_LAZY: dict[str, str] = {
    "ENV_VAR": "surge.store.location",
    "SCHEMA_VERSION": "surge.store.schema",
    "Baseline": "surge.store.model",
    "CodecError": "surge.store.codec",
    "Fingerprint": "surge.store.model",
    "RunSummary": "surge.store.model",
    "Store": "surge.store.database",
    "StoreError": "surge.store.model",
    "StoreMissing": "surge.store.model",
    "StoredRun": "surge.store.model",
    "baseline_run_ids": "surge.store.python_api",
    "decode_result": "surge.store.codec",
    "encode_result": "surge.store.codec",
    "establish_baseline": "surge.store.python_api",
    "fingerprint": "surge.store.fingerprint",
    "git_state": "surge.store.fingerprint",
    "resolve_url": "surge.store.location",
}


__getattr__ = _lazy_getattr(globals(), _LAZY)


__all__ = [
    "ENV_VAR",
    "SCHEMA_VERSION",
    "Baseline",
    "CodecError",
    "Fingerprint",
    "RunSummary",
    "Store",
    "StoreError",
    "StoreMissing",
    "StoredRun",
    "baseline_run_ids",
    "decode_result",
    "encode_result",
    "establish_baseline",
    "fingerprint",
    "git_state",
    "resolve_url",
]
