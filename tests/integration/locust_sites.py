"""Two real web apps for the locustfile tests, each served by uvicorn on 127.0.0.1:

- a Django site with a CSRF-protected login form (signed-cookie sessions, no database):
  GET /login/ (the form, with its csrfmiddlewaretoken), POST /login/ (302 to /account/),
  GET /account/ ("Hello <user>", or 302 to /login/), POST /account/orders/ (201; needs the
  X-CSRFToken header and the session);
- a Starlette JSON API with JWT (HS256) bearer tokens: POST /api/token, GET/POST /api/items.

`serve(app_path)` runs `uvicorn app_path` in a subprocess and yields its base URL.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SECRET = b"surge-test-secret"
USERS = {"ann": "pw-ann", "bob": "pw-bob"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(subject: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": subject, "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def check_jwt(token: str) -> str | None:
    try:
        header, payload, signature = token.split(".")
    except ValueError:
        return None
    expected = _b64(hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"]) if claims["exp"] > time.time() else None


def jwt_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    items: list[dict[str, Any]] = []

    async def token(request: Request) -> JSONResponse:
        body = await request.json()
        if USERS.get(body.get("username")) != body.get("password"):
            return JSONResponse({"detail": "bad credentials"}, 401)
        return JSONResponse({"access": make_jwt(body["username"])})

    async def item_list(request: Request) -> JSONResponse:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        user = check_jwt(value) if scheme == "Bearer" else None
        if user is None:
            return JSONResponse({"detail": "unauthorized"}, 401)
        if request.method == "POST":
            item = {"owner": user, **(await request.json())}
            items.append(item)
            return JSONResponse(item, 201)
        return JSONResponse([i for i in items if i["owner"] == user][-5:])

    routes = [
        Route("/api/token", token, methods=["POST"]),
        Route("/api/items", item_list, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes)


def django_app() -> Any:
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="surge-test-" + "x" * 40,
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=["django.contrib.sessions"],
            MIDDLEWARE=[
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            DATABASES={},
        )
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def _login(request: Any) -> Any:
    from django.http import HttpResponse, HttpResponseRedirect
    from django.middleware.csrf import get_token

    if request.method == "POST":
        user = request.POST.get("username", "")
        if USERS.get(user) == request.POST.get("password"):
            request.session["user"] = user
            return HttpResponseRedirect("/account/")
        return HttpResponse("bad credentials", status=403)
    token = get_token(request)
    form = (
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{token}"><input name="username"><input name="password"></form>'
    )
    return HttpResponse(form)


def _account(request: Any) -> Any:
    from django.http import HttpResponse, HttpResponseRedirect

    user = request.session.get("user")
    if user is None:
        return HttpResponseRedirect("/login/")
    return HttpResponse(f"Hello {user}")


def _orders(request: Any) -> Any:
    from django.http import HttpResponse, JsonResponse

    if request.method != "POST" or request.session.get("user") is None:
        return HttpResponse("no", status=403)
    return JsonResponse({"ordered": json.loads(request.body)}, status=201)


def _urls() -> list[Any]:
    from django.urls import path

    return [path("login/", _login), path("account/", _account), path("account/orders/", _orders)]


def __getattr__(name: str) -> Any:  # Django reads `urlpatterns` from ROOT_URLCONF lazily
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(factory: str) -> Iterator[str]:
    """Serve `locust_sites:<factory>` with uvicorn in a subprocess; yields its base URL."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    command = [sys.executable, "-m", "uvicorn", "--factory", f"locust_sites:{factory}",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=1):
                    break
            except urllib.error.HTTPError as exc:
                exc.close()
                break  # it answers (404 or 405 at /)
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{factory} did not start on {url}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
