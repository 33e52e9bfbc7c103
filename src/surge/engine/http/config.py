"""Client configuration: timeouts, TLS verification and redirect limits."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How the engine's HTTP client behaves. Every timeout is finite by default.

    `read_timeout_s` is the longest gap allowed between two received bytes; `total_timeout_s`
    bounds a whole request (connect, send, receive, every redirect). `insecure` turns TLS
    certificate verification off; `ca_file` trusts an extra CA bundle (PEM) instead.
    `max_body_bytes` is the largest response body a scripted request keeps in memory: a larger
    one is counted and discarded, and reading it raises `BodyTooLargeError` (stream it instead).
    """

    connect_timeout_s: float = 30.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 30.0
    insecure: bool = False
    max_redirects: int = 10
    ca_file: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        for field in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            value = getattr(self, field)
            if not value > 0:
                raise ValueError(f"ClientConfig.{field} must be > 0 seconds, got {value!r}")
        if self.max_body_bytes < 0:
            raise ValueError(f"ClientConfig.max_body_bytes must be >= 0, got {self.max_body_bytes}")
        if self.max_redirects < 0:
            raise ValueError(f"ClientConfig.max_redirects must be >= 0, got {self.max_redirects}")
