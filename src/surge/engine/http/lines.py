"""The short way to prepare a plain scripted request: a path on the base URL with the session's
default headers and nothing else (no cookie). The bytes after the request line are the same for
every such request of one method, so a session keeps them per method and a URL it has not seen
before (a new id) costs no URL parsing and no header merging — only its request line."""

from __future__ import annotations

from urllib.parse import urlsplit

from surge.engine.http.cookies import CookieJar
from surge.engine.http.request import DefaultHeaders, Origin, Prepared, prepare
from surge.metrics.recorder import EndpointRecorder

_Block = tuple[Origin, str, str, bytes]  # origin, base URL without "/", its path, header bytes


class RequestLines:
    """The header blocks of one session's plain requests, per method, for one version of its
    default headers."""

    __slots__ = ("_base_url", "_blocks")

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._blocks: dict[str, tuple[int, _Block]] = {}

    @staticmethod
    def takes(path: str) -> bool:
        """Whether `path` can take the short way (else the general way, `prepare`)."""
        return path[:1] == "/" and "\n" not in path and "\r" not in path and "\t" not in path

    def prepare(
        self,
        verb: str,
        path: str,
        endpoint: EndpointRecorder,
        defaults: DefaultHeaders,
        jar: CookieJar,
    ) -> Prepared | None:
        """The request: its request line before the kept header block (`path` must be one that
        `takes` accepts). None when the base URL needs the general way."""
        version = defaults.version
        found = self._blocks.get(verb)
        block = found[1] if found is not None and found[0] == version else None
        if block is None:
            block = self._header_block(verb, endpoint, defaults, jar)
            if block is None:
                return None
        origin, root, base_path, head = block
        target = base_path + path.partition("#")[0]
        if target.endswith("?"):
            target = target[:-1]
        wire = f"{verb} {target} HTTP/1.1\r\n".encode("latin-1") + head
        return Prepared(verb, root + path, origin, wire, endpoint, None, None, [], version, False)

    def _header_block(
        self, verb: str, endpoint: EndpointRecorder, defaults: DefaultHeaders, jar: CookieJar
    ) -> _Block | None:
        """The base URL's origin and path and the bytes after the request line of a body-less
        `verb` request with the default headers (built by `prepare`, so they are the same)."""
        root = self._base_url.rstrip("/")
        try:
            parts = urlsplit(root)
            probe = prepare(verb, root + "/", [], None, None, defaults, jar, endpoint)
        except ValueError:  # an invalid URL or header: the general way raises it where it should
            return None
        if parts.query or parts.fragment:
            return None
        head = probe.wire[probe.wire.index(b"\r\n") + 2 :]
        block = (probe.origin, root, parts.path, head)
        self._blocks[verb] = (defaults.version, block)
        return block
