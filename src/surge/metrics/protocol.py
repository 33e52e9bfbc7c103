"""What WebSocket, Server-Sent Events and HTTP/2 record beside an endpoint's requests.

An endpoint's requests are its opening exchanges (a WebSocket upgrade, an event-stream GET, an
HTTP/2 request); what happens *inside* a session or stream is recorded here: named counts
(`Count`: messages and their bytes per direction, events, reconnects, errors after the opening),
named timings (`Timing`: connect, TLS, upgrade, session duration, request→reply round trip, ping
RTT, time to first event, gaps between events), WebSocket close codes and which protocol carried
the exchanges (`Wire`). All of it merges exactly across intervals and workers: counts add and
timings are HDR-layout histograms like the latency.

`ProtocolRecorder` is the hot-path side (one per endpoint, created when a protocol first
records): counts are plain integer attributes and timings dense histograms, so a WebSocket round
trip costs a few attribute increments and one histogram index.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from surge.metrics.histogram import Histogram, merge_all


class Wire(enum.Enum):
    """The protocol an endpoint's exchanges went over (`EndpointStats.protocols` keys)."""

    HTTP1 = "HTTP/1.1"
    HTTP2 = "HTTP/2"
    WEBSOCKET = "WebSocket"
    SSE = "SSE"


class Count(enum.Enum):
    """A counter of what happened inside sessions and streams; the value is its stable name."""

    SESSIONS = "sessions"  # WebSocket sessions opened, SSE streams opened (first and again)
    MSGS_SENT = "msgs_sent"
    MSGS_RECEIVED = "msgs_received"
    MSG_BYTES_SENT = "msg_bytes_sent"  # payload bytes of the messages
    MSG_BYTES_RECEIVED = "msg_bytes_received"
    PINGS = "pings"  # pings answered by a pong
    EVENTS = "events"  # Server-Sent Events dispatched
    RECONNECTS = "reconnects"  # SSE streams opened again after the first
    CONNECTIONS = "connections"  # HTTP/2 connections opened
    SESSION_ERRORS = "session_errors"  # errors after the opening (also counted in `errors`)


class Timing(enum.Enum):
    """A timing recorded inside sessions and streams; the value is its stable name."""

    CONNECT = "connect"  # TCP connect
    TLS = "tls"  # TLS handshake
    UPGRADE = "upgrade"  # the WebSocket opening handshake (HTTP upgrade to 101)
    SESSION = "session"  # a WebSocket session, open to close
    REPLY = "reply"  # a request message to the reply that matched it
    PING_RTT = "ping_rtt"  # a ping to its pong
    FIRST_EVENT = "first_event"  # an event stream's request to its first event
    EVENT_GAP = "event_gap"  # between two events of one stream


COUNT_NAMES: tuple[str, ...] = tuple(count.value for count in Count)
TIMING_NAMES: tuple[str, ...] = tuple(timing.value for timing in Timing)


def add_counts(parts: list[Mapping[str, int]]) -> dict[str, int]:
    """Counts added by name, in `Count` order (unknown names, from a newer surge, last)."""
    total: dict[str, int] = {}
    for part in parts:
        for name, n in part.items():
            total[name] = total.get(name, 0) + n
    order = {name: i for i, name in enumerate(COUNT_NAMES)}
    return {k: total[k] for k in sorted(total, key=lambda k: (order.get(k, len(order)), k)) if k}


def add_int_keys(parts: list[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for part in parts:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    return dict(sorted(total.items()))


def merge_timings(parts: list[Mapping[str, Histogram]]) -> dict[str, Histogram]:
    """Timings merged by name (histograms add their counts), in `Timing` order."""
    names: dict[str, None] = {}
    for part in parts:
        names.update(dict.fromkeys(part))
    order = {name: i for i, name in enumerate(TIMING_NAMES)}
    merged = {
        name: merge_all(part[name] for part in parts if name in part)
        for name in sorted(names, key=lambda k: (order.get(k, len(order)), k))
    }
    return {name: hist for name, hist in merged.items() if hist.total}


def add_protocols(parts: list[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for name, n in part.items():
            total[name] = total.get(name, 0) + n
    return dict(sorted(total.items()))
