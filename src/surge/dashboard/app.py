"""The dashboard's web application (Starlette): the page, its script and style, the event
stream, the downloads and the control requests. It holds no run logic: controls go to the
runner's RunControl, a form's run to the command that serves it (`launch`).

    GET  /                      the page (`?token=` sets the token cookie, then redirects)
    GET  /assets/NAME           charts.js, dashboard.js, dashboard.css (package files only)
    GET  /events                Server-Sent Events from the log (Last-Event-ID resumes)
    GET  /download/RUN/FORMAT   a finished run's JSON, CSV or HTML report
    POST /api/stop              {}                    stop the run
    POST /api/users             {"users": N}          closed model: N users from now
    POST /api/rate              {"rate": R}           open model: R arrivals/s from now
    POST /api/run               {"values": {...}}     surge ui: start a run from the form
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from surge.config import ConfigError
from surge.dashboard.access import SECURITY_HEADERS, Access, Denied
from surge.dashboard.downloads import Format
from surge.dashboard.events import EventLog
from surge.dashboard.feed import DashboardFeed
from surge.dashboard.form import FormBase
from surge.dashboard.state import DashboardState, Mode
from surge.runner import ControlError
from surge.version import __version__

ASSETS = {
    "charts.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
Launch = Callable[[Mapping[str, Any]], None]


class Busy(RuntimeError):
    """A run is already going: the form's run is refused (409)."""


@cache
def _asset(name: str) -> str:
    return resources.files("surge.dashboard").joinpath("assets", name).read_text(encoding="utf-8")


@dataclass(slots=True)
class Audience:
    """Who is watching: open event streams, and how many downloads each finished run had."""

    streams: int = 0
    fetched: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fetch(self, run: int) -> None:
        with self.lock:
            self.fetched[run] = self.fetched.get(run, 0) + 1

    def stream(self, delta: int) -> None:
        with self.lock:
            self.streams += delta

    def settled(self, run: int, per_tab: int, tabs: int) -> bool:
        """Every tab open at the end (`tabs`, or fewer if some closed) fetched `per_tab`."""
        with self.lock:
            watching = min(self.streams, tabs)
            return watching == 0 or self.fetched.get(run, 0) >= watching * per_tab


@dataclass(frozen=True, slots=True)
class AppContext:
    """What the application serves from: the log, the state, the feed that marks control
    changes, the access checks, and (surge ui) the form and how to launch its run."""

    log: EventLog
    state: DashboardState
    feed: DashboardFeed
    access: Access
    form: FormBase | None = None
    launch: Launch | None = None
    audience: Audience = field(default_factory=Audience)


def _json(payload: Mapping[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(dict(payload), status_code=status, headers=dict(SECURITY_HEADERS))


def _denied(why: Denied) -> JSONResponse:
    return _json({"error": why.message}, why.status)


def _boot(dashboard: AppContext) -> str:
    payload = {
        "mode": dashboard.state.mode.value,
        "csrf": dashboard.access.csrf,
        "version": __version__,
        "form": dashboard.form.payload() if dashboard.form is not None else None,
    }
    text = json.dumps(payload, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(dashboard: AppContext) -> str:
    title = "surge ui" if dashboard.state.mode is Mode.UI else "surge run"
    return (
        _asset("index.html")
        .replace("{{TITLE}}", escape(title))
        .replace("{{VERSION}}", escape(__version__))
        .replace("{{BOOT}}", _boot(dashboard))
    )


def _check(dashboard: AppContext, request: Request, *, control: bool) -> Denied | None:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return dashboard.access.check(headers, request.cookies, control=control)


async def _body(request: Request) -> Mapping[str, Any] | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


Handler = Callable[[Request], Awaitable[Response]]


def routes(dashboard: AppContext) -> list[Route]:
    """The application's routes (see the module docstring)."""

    async def index(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None:
            if not dashboard.access.matches(token):
                return _denied(Denied.TOKEN)
            response = RedirectResponse("/", status_code=303, headers=dict(SECURITY_HEADERS))
            response.set_cookie(
                dashboard.access.cookie, token, httponly=True, samesite="strict", path="/"
            )
            return response
        denied = _check(dashboard, request, control=False)
        if denied is not None:
            return _denied(denied)
        return Response(_page(dashboard), media_type="text/html", headers=dict(SECURITY_HEADERS))

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return _json({"error": "no such file"}, 404)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return Response(_asset(name), media_type=ASSETS[name], headers=headers)

    async def favicon(request: Request) -> Response:
        return Response(status_code=204, headers=dict(SECURITY_HEADERS))

    async def events(request: Request) -> Response:
        denied = _check(dashboard, request, control=False)
        if denied is not None:
            return _denied(denied)
        seq = dashboard.log.seen(request.headers.get("last-event-id"))
        headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
        stream = _counted(dashboard, seq)
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def download(request: Request) -> Response:
        denied = _check(dashboard, request, control=False)
        if denied is not None:
            return _denied(denied)
        run = int(request.path_params["run"])
        fmt = Format.__members__.get(str(request.path_params["format"]).upper())
        document = None if fmt is None else dashboard.state.document(run, fmt)
        if fmt is None or document is None:
            return _json({"error": f"run {run} has no such document (any more)"}, 404)
        dashboard.audience.fetch(run)
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{document.filename}"',
        }
        return Response(document.body, media_type=fmt.media_type, headers=headers)

    return [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/assets/{name}", asset),
        Route("/events", events),
        Route("/download/{run:int}/{format}", download),
        *control_routes(dashboard),
    ]


async def _counted(dashboard: AppContext, seq: int) -> AsyncIterator[bytes]:
    dashboard.audience.stream(+1)
    try:
        async for frame in dashboard.log.stream(seq):
            yield frame
    finally:
        dashboard.audience.stream(-1)


def control_routes(dashboard: AppContext) -> list[Route]:
    """The POST routes: stop, users, rate, and the form's run."""

    def guarded(action: Callable[[Mapping[str, Any]], Response]) -> Handler:
        async def handler(request: Request) -> Response:
            denied = _check(dashboard, request, control=True)
            if denied is not None:
                return _denied(denied)
            body = await _body(request)
            if body is None:
                return _json({"error": "send a JSON object (Content-Type: application/json)"}, 400)
            try:
                return await run_in_threadpool(action, body)
            except ControlError as exc:
                return _json({"error": str(exc)}, 409)
            except (ValueError, TypeError) as exc:  # ConfigError is a ValueError
                return _json({"error": str(exc)}, 400)
            except Busy as exc:
                return _json({"error": str(exc)}, 409)

        return handler

    def control() -> Any:
        running = dashboard.state.control
        if running is None:
            raise ControlError("no run is in progress")
        return running

    def stop(body: Mapping[str, Any]) -> Response:
        control().stop("stopped from the dashboard")
        dashboard.feed.control("stop", None)
        return _json({"ok": True})

    def users(body: Mapping[str, Any]) -> Response:
        value = body.get("users")
        count = int(value) if isinstance(value, int | str) and str(value).strip() else -1
        control().set_users(count)
        dashboard.feed.control("users", count)
        return _json({"ok": True, "users": count})

    def rate(body: Mapping[str, Any]) -> Response:
        value = body.get("rate")
        per_s = float(value) if isinstance(value, int | float | str) and str(value) else -1.0
        control().set_rate(per_s)
        dashboard.feed.control("rate", per_s)
        return _json({"ok": True, "rate": per_s})

    def run(body: Mapping[str, Any]) -> Response:
        if dashboard.launch is None:
            return _json({"error": "this dashboard watches one run (surge ui starts runs)"}, 404)
        values = body.get("values")
        if not isinstance(values, dict):
            raise ConfigError("send the form's values as {'values': {...}}")
        dashboard.launch(values)
        return _json({"ok": True}, 202)

    return [
        Route("/api/stop", guarded(stop), methods=["POST"]),
        Route("/api/users", guarded(users), methods=["POST"]),
        Route("/api/rate", guarded(rate), methods=["POST"]),
        Route("/api/run", guarded(run), methods=["POST"]),
    ]


def build_app(dashboard: AppContext) -> Starlette:
    return Starlette(routes=routes(dashboard))
