"""Exception → ErrorKind: the one place transport failures are classified."""

from __future__ import annotations

import errno
import socket
import ssl

import httptools

from surge.metrics.errors import ErrorKind


class ConnectionClosedError(ConnectionResetError):
    """The peer closed the connection before a complete response arrived."""


class RequestTimeoutError(TimeoutError):
    """A connect, read or total timeout fired; `at_ns` (perf_counter_ns), when known, is the
    instant it expired, which a request's latency is recorded at."""

    def __init__(self, message: str, at_ns: int | None = None) -> None:
        super().__init__(message)
        self.at_ns = at_ns


class TooManyRedirectsError(Exception):
    """A redirect chain longer than ClientConfig.max_redirects."""


class ProtocolViolationError(Exception):
    """The server broke the protocol in use (HTTP/2 framing, a WebSocket upgrade, no `h2` by
    ALPN): classified as `protocol`."""


class InvalidUrlError(ValueError):
    """A URL the client cannot request (no host, unsupported scheme)."""


def classify_error(exc: BaseException) -> ErrorKind:
    """The ErrorKind of a transport exception. Order matters: ssl errors are OSErrors."""
    if isinstance(exc, socket.gaierror):
        return ErrorKind.DNS
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ErrorKind.TLS
    if isinstance(exc, ConnectionRefusedError):
        return ErrorKind.REFUSED
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT
    if isinstance(exc, ConnectionError | EOFError):
        return ErrorKind.RESET
    if isinstance(exc, httptools.HttpParserError | TooManyRedirectsError | ProtocolViolationError):
        return ErrorKind.PROTOCOL
    if isinstance(exc, OSError):
        return _classify_errno(exc)
    return ErrorKind.OTHER


_REFUSED_TEXT = f"[Errno {errno.ECONNREFUSED}]"
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_FD_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE})
_FD_TEXTS = tuple(f"[Errno {n}]" for n in sorted(_FD_ERRNOS))


def _classify_errno(exc: OSError) -> ErrorKind:
    """Plain OSErrors, including asyncio's "Multiple exceptions" from happy-eyeballs connects."""
    if exc.errno == errno.ECONNREFUSED:
        return ErrorKind.REFUSED
    if exc.errno in _RESET_ERRNOS:
        return ErrorKind.RESET
    if exc.errno == errno.ETIMEDOUT:
        return ErrorKind.TIMEOUT
    if exc.errno in _FD_ERRNOS:
        return ErrorKind.FD_EXHAUSTED
    if exc.errno is None and str(exc).startswith("Multiple exceptions"):
        if any(text in str(exc) for text in _FD_TEXTS):
            return ErrorKind.FD_EXHAUSTED
        parts = str(exc).count("[Errno")
        if parts and str(exc).count(_REFUSED_TEXT) == parts:
            return ErrorKind.REFUSED
    return ErrorKind.OTHER


def describe_error(exc: BaseException) -> str:
    """A short human-readable message for an exception (never empty)."""
    text = str(exc).strip()
    if isinstance(exc, socket.gaierror):
        return f"DNS lookup failed: {text}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionClosedError):
        return text or "connection closed by peer"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, BrokenPipeError):
        return "broken pipe"
    if isinstance(exc, OSError) and exc.errno in _FD_ERRNOS:
        return _fd_message()
    if isinstance(exc, httptools.HttpParserError):
        return f"invalid HTTP response: {text}" if text else "invalid HTTP response"
    return text or type(exc).__name__


def _fd_message() -> str:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (
        f"too many open files: the generator reached its limit of {soft:,} descriptors "
        "(RLIMIT_NOFILE; see docs/exit-codes.md)"
    )
