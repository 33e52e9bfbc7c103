"""One user's requests made ready to send: the origin, the bytes and the endpoint of each call,
and the secrets among its headers told before anything is sent.

A plain request — a path with nothing but the session's default headers — is kept in the user's
cache of prepared requests, so that the next call of the same path sends the same bytes after
one lookup (`Session._plain`). The cache holds at most `CACHE_MAX` requests and is emptied when
full: its memory does not grow with the number of distinct URLs a user requests, and a URL
requested again after that is prepared again, which a path on the base URL makes cheap.

A plain request the user has not kept is looked up next among those of the whole run
(`SharedRequests`, one per recorder): users whose default headers are the same send the same
bytes for the same path, so a URL one user prepared is not prepared again by the others — in
the open model, where each arrival may go to another pooled user, a user's own cache alone
misses on every URL of a script cycling through thousands. That cache holds at most
`SHARED_MAX` requests (the oldest forgotten first, one at a time: freeing them all at once
would stall the event loop for milliseconds), so its memory is bounded whatever the number of
distinct URLs: about 700 bytes a request with the users' keys, 11 MiB at most.

A path prepared by no user (a new id) takes the short way: the bytes after the request line
are the same for every plain request of one method, so the preparer keeps them per method (for
one version of the default headers) and a new URL costs its request line, its endpoint (looked
up by `Recorder.endpoint_for`, which names a target once) and nothing else — no URL parsing, no
header merging. Anything else (params, headers, a body, a cookie, another host) goes the general
way, `request.prepare`, whose bytes the short way's are equal to.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from surge.engine.http.cookies import CookieJar
from surge.engine.http.hops import resolve
from surge.engine.http.request import (
    DefaultHeaders,
    Origin,
    Prepared,
    add_params,
    encode_body,
    prepare,
)
from surge.metrics.recorder import EndpointRecorder, Recorder

if TYPE_CHECKING:
    from surge.engine.workload import SecretSink

CACHE_MAX = 64
"""Plain requests one user keeps prepared (then forgotten all at once)."""

SHARED_MAX = 16_384
"""Plain requests the users of one run share (then the oldest forgotten first)."""

_BLOCKS_MAX = 1024  # distinct header blocks given a run-wide id (then forgotten all at once)

_NO_BODY = (None, None)
_Block = tuple[Origin, str, str, bytes]  # origin, base URL without "/", its path, header bytes
# the version of the default headers it was built for, the block, its run-wide id
_Kept = tuple[int, _Block | None, int]
PlainKey = tuple[str, str, str | None]  # method, path, name


class SharedRequests:
    """The plain requests of one run's users (one recorder), by (block id, path, name): a block id
    stands for a method, a version of the default headers and the bytes they make, so that a
    request found here is exactly what the user would build (`Preparer.fresh`)."""

    __slots__ = ("__weakref__", "_ids", "requests")

    def __init__(self) -> None:
        self.requests: OrderedDict[tuple[int, str, str | None], Prepared] = OrderedDict()
        self._ids: dict[tuple[str, int, _Block], int] = {}

    def block_id(self, method: str, version: int, block: _Block) -> int:
        """The run-wide id of a header block (the same for users whose blocks are equal)."""
        ids = self._ids
        key = (method, version, block)
        found = ids.get(key)
        if found is None:
            if len(ids) >= _BLOCKS_MAX:
                ids.clear()  # the ids handed out stay unique: they keep counting
            found = ids[key] = next(_BLOCK_IDS)
        return found


_BLOCK_IDS = itertools.count()
_SHARED: WeakKeyDictionary[Recorder, SharedRequests] = WeakKeyDictionary()


def shared_requests(recorder: Recorder) -> SharedRequests:
    """The plain requests shared by the users recording into `recorder` (made on first use,
    gone with the recorder)."""
    found = _SHARED.get(recorder)
    if found is None:
        found = _SHARED[recorder] = SharedRequests()
    return found


class Preparer:
    """The requests of one user (one `Session`): `cache` holds its plain ones by
    (method, path, name), read directly by the session's hot path."""

    __slots__ = (
        "_base_url",
        "_blocks",
        "_headers",
        "_learned",
        "_recorder",
        "_shared",
        "cache",
        "cookies",
        "secrets",
    )

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        headers: DefaultHeaders,
        cookies: CookieJar,
        secrets: SecretSink | None,
    ) -> None:
        self._base_url = base_url
        self._recorder = recorder
        self._headers = headers
        self.cookies = cookies
        self.secrets = secrets
        self._learned = -1  # the version of the default headers the secrets sink has seen
        self._blocks: dict[str, _Kept] = {}  # per method: the short way's header bytes
        self._shared = shared_requests(recorder).requests
        self.cache: dict[PlainKey, Prepared] = {}

    def fresh(self, method: str, path: str) -> Prepared:
        """`prepare(method, path)` (an upper-case method, no cookie kept) for a request the cache
        does not hold: the session's hot path calls this for a URL it has not seen before, so
        the lookup among the run's requests and the short way are written out here."""
        version = self._headers.version
        if self.secrets is not None and version != self._learned:
            self._learn(())
        kept = self._blocks.get(method)
        if kept is None or kept[0] != version:
            kept = self._header_block(method, self._recorder.endpoint_for(method, path))
        shared = self._shared
        key = (kept[2], path, None)
        prep = shared.get(key)
        if prep is None:
            block = kept[1]
            if block is None or path[:1] != "/" or "\n" in path or "\r" in path or "\t" in path:
                return self.prepare(method, path, None, None, None, None, None)
            target = block[2] + path.partition("#")[0]
            if target[-1] == "?":
                target = target[:-1]
            prep = Prepared(
                method,
                block[1] + path,
                block[0],
                f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + block[3],
                self._recorder.endpoint_for(method, path),
                None,
                None,
                [],
                version,
                False,
            )
            if len(shared) >= SHARED_MAX:
                shared.popitem(last=False)
            shared[key] = prep
        cache = self.cache
        if len(cache) >= CACHE_MAX:
            cache.clear()
        cache[(method, path, None)] = prep
        return prep

    def prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json: Any,
        data: bytes | str | Mapping[str, Any] | None,
        name: str | None,
    ) -> Prepared:
        """The request's origin, bytes and endpoint; plain ones are kept for next time."""
        verb = method.upper()
        extra = list(headers.items()) if headers else []
        if self.secrets is not None:
            self._learn(extra)
        if params is None and headers is None and json is None and data is None:
            prep = self.plain(verb, path, name) if not self.cookies._cookies else None
            if prep is None:
                prep = self._general(verb, path, None, [], None, None, name)
            if not prep.cookies:
                cache = self.cache
                if len(cache) >= CACHE_MAX:
                    cache.clear()
                cache[(method, path, name)] = prep
            return prep
        body, content_type = _NO_BODY if json is None and data is None else encode_body(json, data)
        return self._general(verb, path, params, extra, body, content_type, name)

    def plain(self, verb: str, path: str, name: str | None) -> Prepared | None:
        """A path on the base URL with the default headers and nothing else (no cookie yet),
        the short way; None when it needs the general way."""
        version = self._headers.version
        kept = self._blocks.get(verb)
        if kept is None or kept[0] != version:
            kept = self._header_block(verb, self.endpoint_for(verb, path, name))
        block = kept[1]
        if block is None or path[:1] != "/" or "\n" in path or "\r" in path or "\t" in path:
            return None
        shared = self._shared
        key = (kept[2], path, name)
        prep = shared.get(key)
        if prep is None:
            origin, root, base_path, head = block
            target = base_path + path.partition("#")[0]
            if target.endswith("?"):
                target = target[:-1]
            wire = f"{verb} {target} HTTP/1.1\r\n".encode("latin-1") + head
            endpoint = self.endpoint_for(verb, path, name)
            prep = Prepared(
                verb, root + path, origin, wire, endpoint, None, None, [], version, False
            )
            if len(shared) >= SHARED_MAX:
                shared.popitem(last=False)
            shared[key] = prep
        return prep

    def _header_block(self, verb: str, endpoint: EndpointRecorder) -> _Kept:
        """The base URL's origin and path and the bytes after the request line of a body-less
        `verb` request with the default headers (built by `prepare`, so they are the same);
        None (kept too) when the base URL needs the general way."""
        defaults = self._headers
        root = self._base_url.rstrip("/")
        block: _Block | None = None
        try:
            parts = urlsplit(root)
            probe = prepare(verb, root + "/", [], None, None, defaults, self.cookies, endpoint)
        except ValueError:  # an invalid URL or header: the general way raises it where it should
            pass
        else:
            if not (parts.query or parts.fragment):
                head = probe.wire[probe.wire.index(b"\r\n") + 2 :]
                block = (probe.origin, root, parts.path, head)
        block_id = (
            -1
            if block is None
            else shared_requests(self._recorder).block_id(verb, defaults.version, block)
        )
        kept = self._blocks[verb] = (defaults.version, block, block_id)
        return kept

    def _general(
        self,
        verb: str,
        path: str,
        params: Mapping[str, Any] | None,
        extra: list[tuple[str, str]],
        body: bytes | None,
        content_type: str | None,
        name: str | None,
    ) -> Prepared:
        url = add_params(resolve(self._base_url, path), params)
        endpoint = self.endpoint_for(verb, path, name)
        return prepare(verb, url, extra, body, content_type, self._headers, self.cookies, endpoint)

    def endpoint_for(self, method: str, path: str, name: str | None = None) -> EndpointRecorder:
        """The recorder a request records under: `name`, else the run's default name of `path`
        (the one naming rule of every client: `Recorder.endpoint_for`)."""
        if name:
            return self._recorder.endpoint(method, name)
        return self._recorder.endpoint_for(method, path)

    # -- secrets ---------------------------------------------------------------------------
    def learn_secrets(self) -> None:
        """Tell the secrets sink what this user holds now: its secret default headers and the
        values of its cookies with secret-looking names (called when its script fails)."""
        secrets = self.secrets
        if secrets is not None:
            self._learned = -1
            self._learn(())
            for name, value in self.cookies.pairs():
                secrets.learn_cookie(name, value)

    def _learn(self, extra: Sequence[tuple[str, str]]) -> None:
        """The secret values among a request's headers, before it is prepared: its own, and the
        session's defaults when they changed since last time."""
        secrets = self.secrets
        assert secrets is not None
        defaults = self._headers
        if defaults.version != self._learned:
            self._learned = defaults.version
            for key, value in defaults.items():
                secrets.learn_header(key, value)
        for key, value in extra:
            secrets.learn_header(key, value)
