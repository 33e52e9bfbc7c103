"""A streamed request's record: taken when its body is over, not when the task gets the head.

The task may drop the response before then; what the record needs is copied at once, and
dropping the response unread discards the rest of the body (still counted).
"""

from __future__ import annotations

import weakref
from collections.abc import MutableMapping
from time import perf_counter_ns
from typing import Protocol

from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.response import HttpResponse
from surge.engine.http.stream import StreamBody
from surge.metrics.recorder import EndpointRecorder


class _Recorder(Protocol):
    def record_lagged(
        self, endpoint: EndpointRecorder, response: HttpResponse, lag_ns: int
    ) -> None: ...


def record_when_over(
    pending: MutableMapping[StreamBody, EndpointRecorder],
    endpoint: EndpointRecorder,
    response: HttpResponse,
    body: StreamBody,
    t0: int,
    lag_ns: int,
    recorder: _Recorder,
) -> None:
    """A streamed request is recorded on its last byte (or its failure mid-body), once, unless
    its session closed first (`streams_incomplete`). When the task drops the response unread,
    the rest of its body is discarded (counted)."""
    pending[body] = endpoint
    weakref.finalize(response, body.discard)
    # what the record needs, taken now: the task may drop the response before the end
    outcome = HttpResponse(
        response.method,
        response.url,
        response.status,
        None,
        None,
        0,
        response.error_kind,
        response.error_message,
    )
    outcome.nbytes = response.nbytes
    seen = weakref.ref(response)

    def done(error: BaseException | None) -> None:
        if pending.pop(body, None) is None:
            return  # the session closed first: counted incomplete then
        outcome.elapsed_ns = perf_counter_ns() - t0
        outcome.nbytes += body.received
        if error is not None and outcome.error_kind is None:
            outcome.error_kind = classify_error(error)
            outcome.error_message = describe_error(error)
        recorder.record_lagged(endpoint, outcome, lag_ns)
        alive = seen()
        if alive is not None:  # the task's response says how it ended too
            alive.elapsed_ns, alive.nbytes = outcome.elapsed_ns, outcome.nbytes
            alive.error_kind, alive.error_message = outcome.error_kind, outcome.error_message

    body.on_done(done)


def streams_incomplete(pending: MutableMapping[StreamBody, EndpointRecorder]) -> None:
    """Streamed bodies still arriving when their session closes: incomplete requests."""
    endpoints = list(pending.values())
    pending.clear()
    for endpoint in endpoints:
        endpoint.incomplete()
