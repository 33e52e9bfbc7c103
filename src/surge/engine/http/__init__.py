"""The engine's HTTP/1.1 client: asyncio Protocol + httptools, keep-alive, TLS, timeouts."""

from surge.engine.http.classify import classify_error
from surge.engine.http.config import ClientConfig
from surge.engine.http.response import Headers, HttpResponse, HttpStatusError
from surge.engine.http.session import Session

__all__ = [
    "ClientConfig",
    "Headers",
    "HttpResponse",
    "HttpStatusError",
    "Session",
    "classify_error",
]
