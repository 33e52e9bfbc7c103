"""Client configuration: timeouts, TLS verification and redirect limits."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How the engine's HTTP client behaves. Every timeout is finite by default.

    `read_timeout_s` is the longest gap allowed between two received bytes; `total_timeout_s`
    bounds a whole request (connect, send, receive, every redirect). `insecure` turns TLS
    certificate verification off; `ca_file` trusts an extra CA bundle (PEM) instead.
    `max_body_bytes` is the largest response body a scripted request keeps in memory: a larger
    one is counted and discarded, and reading it raises `BodyTooLargeError` (stream it instead).
    `retry`: a request whose reused keep-alive connection the server closed before sending a
    byte of the response (the stale keep-alive race) is re-sent once on a fresh connection —
    only an idempotent one (`resends`), and each re-send is counted.
    """

    connect_timeout_s: float = 30.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 30.0
    insecure: bool = False
    max_redirects: int = 10
    ca_file: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    retry: bool = True

    def resends(self, method: str) -> bool:
        """Whether a request of `method` may be re-sent after the stale keep-alive race:
        retries are on and the method is idempotent (RFC 9110 9.2.2). A POST or PATCH may have
        taken effect although no response came, so it is never re-sent."""
        return self.retry and method.upper() in IDEMPOTENT_METHODS

    def __post_init__(self) -> None:
        for field in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            value = getattr(self, field)
            if not value > 0:
                raise ValueError(f"ClientConfig.{field} must be > 0 seconds, got {value!r}")
        if self.max_body_bytes < 0:
            raise ValueError(f"ClientConfig.max_body_bytes must be >= 0, got {self.max_body_bytes}")
        if self.max_redirects < 0:
            raise ValueError(f"ClientConfig.max_redirects must be >= 0, got {self.max_redirects}")
