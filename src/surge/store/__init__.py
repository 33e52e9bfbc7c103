"""surge.store: every run kept with its fingerprint (SQLite by default, PostgreSQL by URL), and
the baselines runs are compared against."""

from surge.store.codec import CodecError, decode_result, encode_result
from surge.store.database import ENV_VAR, Store, resolve_url
from surge.store.fingerprint import fingerprint, git_state
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
