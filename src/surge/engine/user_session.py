"""A scripted virtual user's client: the HTTP/1.1 session plus WebSocket (`self.ws`), Server-Sent
Events (`self.http.sse`) and HTTP/2 (`User.http2`, `--http2`).

The HTTP/1.1 `Session` (http/session.py) knows nothing of the other protocols; this subclass adds
them, each loaded on first use (picows for WebSockets, h2 for HTTP/2), and closes what they
left open when the user stops. With HTTP/2 the session's requests go as streams on the user's
own connection (http2/session.py) and everything else — preparing, cookies, redirects, checks,
recording — stays the session's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from surge.engine.http.config import ClientConfig
from surge.engine.http.exchange import SessionConnection
from surge.engine.http.request import Prepared
from surge.engine.http.session import Exchanged, Session
from surge.engine.http.stream import StreamBody
from surge.metrics.recorder import Recorder, UserClassRecorder

if TYPE_CHECKING:
    from surge.engine.http2.session import H2Sessions
    from surge.engine.sse import EventStream
    from surge.engine.workload import SecretSink
    from surge.engine.ws.client import WebSocketClient
    from surge.scenario.protocols import HttpSession


class UserSession(Session):
    """A virtual user's client (implements `surge.scenario.protocols.HttpSession`)."""

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        config: ClientConfig | None = None,
        *,
        open_model: bool = False,
        user_class: UserClassRecorder | None = None,
        http2: bool = False,
        max_streams: int = 100,
        secrets: SecretSink | None = None,
    ) -> None:
        super().__init__(
            base_url,
            recorder,
            config,
            open_model=open_model,
            user_class=user_class,
            secrets=secrets,
        )
        self._ws: WebSocketClient | None = None
        self._event_streams: set[EventStream] = set()
        self._h2: H2Sessions | None = None
        if http2:  # requests go as HTTP/2 streams (docs/http2.md); h2 loads only then
            from surge.engine.http2.session import H2Sessions

            self._h2 = H2Sessions(self.config, max_streams)

    @property
    def ws(self) -> WebSocketClient:
        """This user's WebSocket client (`await self.ws.connect(path)`, see docs/websocket.md);
        the WebSocket library loads on first use."""
        if self._ws is None:
            from surge.engine.ws.client import WebSocketClient

            self._ws = WebSocketClient(self.base_url, self.config, self.endpoint, self.lag_ns)
        return self._ws

    def sse(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        last_event_id: str | None = None,
        max_events: int | None = None,
        max_reconnects: int | None = None,
        retry_s: float | None = None,
    ) -> EventStream:
        """Server-Sent Events of `path`, recorded under `GET <name or path>`; see docs/sse.md."""
        from surge.engine.sse import open_stream

        stream = open_stream(
            self.base_url,
            path,
            [*self.headers.items(), *(headers or {}).items()],
            self.endpoint_for("GET", path, name),
            self.config,
            last_event_id=last_event_id,
            max_events=max_events,
            max_reconnects=max_reconnects,
            retry_s=retry_s,
            lag_of=self.lag_ns,
            on_close=self._event_streams.discard,
        )
        self._event_streams.add(stream)
        return stream

    async def close(self) -> None:
        """Close every socket, stream and connection of this user."""
        if self._ws is not None:
            await self._ws.close()
        for stream in list(self._event_streams):
            await stream.aclose()
        if self._h2 is not None:
            await self._h2.close()
        await super().close()

    def abandon(self) -> None:
        if self._ws is not None:
            self._ws.abandon()
        for stream in list(self._event_streams):
            stream.abort()
        if self._h2 is not None:
            self._h2.abandon()
        super().abandon()

    async def __aenter__(self) -> UserSession:
        return self

    async def _exchange(
        self,
        prep: Prepared,
        t0: int,
        total_ns: int,
        sent: tuple[SessionConnection, BaseException | None] | None,
        body: StreamBody | None = None,
    ) -> Exchanged:
        if self._h2 is None or sent is not None:
            return await super()._exchange(prep, t0, total_ns, sent, body)
        result = await self._h2.exchange(prep, t0)
        if body is not None:  # stream=True over HTTP/2: the body arrived whole, handed over
            body.head = result.head_data
            for chunk in result.take_body() or ():
                body.feed(chunk)
            body.finish()
        return result


if TYPE_CHECKING:  # mypy proves UserSession satisfies the scenario-facing protocol

    def _conforms(session: UserSession) -> HttpSession:
        return session
