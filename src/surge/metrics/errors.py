"""The error taxonomy: every failed request is classified into exactly one ErrorKind."""

from __future__ import annotations

import enum


class ErrorKind(enum.Enum):
    """Why a request failed. The value is the stable name used in every output."""

    DNS = "dns"
    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    TLS = "tls"
    FD_EXHAUSTED = "fd_exhausted"  # the generator ran out of file descriptors (RLIMIT_NOFILE)
    PROTOCOL = "protocol"
    HTTP_STATUS = "http_status"
    CHECK = "check"
    SCRIPT = "script"
    OTHER = "other"
