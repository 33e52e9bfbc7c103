"""TLS client contexts: verification on unless `insecure`; one context per configuration."""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=16)
def client_ssl_context(
    insecure: bool, ca_file: str | None, alpn: tuple[str, ...] = ("http/1.1",)
) -> ssl.SSLContext:
    """A client context shared by every connection with the same settings (loading CAs is slow);
    `alpn` are the protocols it offers (HTTP/2 offers `("h2", "http/1.1")`, so that a server
    without HTTP/2 answers and the error can say so)."""
    if insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=ca_file)
    ctx.set_alpn_protocols(list(alpn))
    return ctx
