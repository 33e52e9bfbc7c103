"""One user's requests made ready to send: the origin, the bytes and the endpoint of each call,
and the secrets among its headers told before anything is sent.

A plain request — a path with nothing but the session's default headers — is kept in the user's
cache of prepared requests, so that the next call of the same path sends the same bytes after
one lookup (`Session._plain`). A path not seen before on the base URL takes the short way
(`lines.py`: its request line before a kept header block); anything else (params, headers, a
body, a cookie, another host) the general way (`request.prepare`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from surge.engine.http.cookies import CookieJar
from surge.engine.http.hops import resolve
from surge.engine.http.lines import RequestLines
from surge.engine.http.request import DefaultHeaders, Prepared, add_params, encode_body, prepare
from surge.metrics.recorder import EndpointRecorder, Recorder

if TYPE_CHECKING:
    from surge.engine.workload import SecretSink

_CACHE_MAX = 256
_NO_BODY = (None, None)

PlainKey = tuple[str, str, str | None]  # method, path, name


class Preparer:
    """The requests of one user (one `Session`): `cache` holds its plain ones by
    (method, path, name), read directly by the session's hot path."""

    __slots__ = (
        "_base_url",
        "_headers",
        "_learned",
        "_lines",
        "_recorder",
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
        self._lines = RequestLines(base_url)
        self.cache: dict[PlainKey, Prepared] = {}

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
            jar = self.cookies._cookies
            prep = self.plain(verb, path, name) if not jar else None
            if prep is None:
                prep = self._general(verb, path, None, [], None, None, name)
            if not prep.cookies:
                cache = self.cache
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                cache[(method, path, name)] = prep
            return prep
        body, content_type = _NO_BODY if json is None and data is None else encode_body(json, data)
        return self._general(verb, path, params, extra, body, content_type, name)

    def plain(self, verb: str, path: str, name: str | None) -> Prepared | None:
        """A path on the base URL with the default headers and nothing else (no cookie yet),
        the short way (`lines.py`); None when it needs the general way."""
        if not RequestLines.takes(path):
            return None
        return self._lines.prepare(
            verb, path, self.endpoint_for(verb, path, name), self._headers, self.cookies
        )

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
