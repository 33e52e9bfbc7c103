"""The shared test servers themselves, checked with http.client."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import ssl
import threading
import time
from typing import Any

import pytest

from servers import GARBAGE, GZIP_BODY, HttpTestServer, TlsTestServer


def _conn(server: HttpTestServer, timeout_s: float = 5.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout_s)


def _get(
    server: HttpTestServer, path: str, method: str = "GET", **kwargs: Any
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = _conn(server)
    try:
        conn.request(method, path, **kwargs)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/ok"])
def test_ok(test_server: HttpTestServer, path: str) -> None:
    response, body = _get(test_server, path)
    assert (response.status, body) == (200, b"ok")
    assert response.getheader("Content-Length") == "2"


def test_url_and_port(test_server: HttpTestServer) -> None:
    assert test_server.url == f"http://127.0.0.1:{test_server.port}"


def test_unknown_path_is_404(test_server: HttpTestServer) -> None:
    assert _get(test_server, "/nope")[0].status == 404


def test_head_has_no_body(test_server: HttpTestServer) -> None:
    response, body = _get(test_server, "/bytes?n=10", method="HEAD")
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == "10"


def test_delay(test_server: HttpTestServer) -> None:
    started = time.perf_counter()
    response, _ = _get(test_server, "/delay?ms=100")
    assert response.status == 200
    assert time.perf_counter() - started >= 0.095


@pytest.mark.parametrize("code", [200, 201, 204, 304, 404, 500, 503])
def test_status(test_server: HttpTestServer, code: int) -> None:
    response, body = _get(test_server, f"/status?code={code}")
    assert response.status == code
    assert body == (b"" if code in (204, 304) else f"status {code}".encode())


def test_bytes(test_server: HttpTestServer) -> None:
    assert _get(test_server, "/bytes?n=100000")[1] == b"x" * 100_000


def test_chunked(test_server: HttpTestServer) -> None:
    response, body = _get(test_server, "/chunked?n=4&delay_ms=5")
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert body == b"chunk-0\nchunk-1\nchunk-2\nchunk-3\n"


def test_gzip(test_server: HttpTestServer) -> None:
    response, body = _get(test_server, "/gzip")
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == GZIP_BODY


def test_echo(test_server: HttpTestServer) -> None:
    _, body = _get(
        test_server, "/echo?a=1&b=two", method="PUT", body=b"payload", headers={"X-Test": "yes"}
    )
    echoed = json.loads(body)
    assert echoed["method"] == "PUT"
    assert echoed["path"] == "/echo"
    assert echoed["query"] == {"a": "1", "b": "two"}
    assert echoed["query_string"] == "a=1&b=two"
    assert echoed["headers"]["x-test"] == "yes"
    assert ["X-Test", "yes"] in echoed["raw_headers"]
    assert echoed["body"] == "payload" and echoed["body_length"] == 7


def test_login_and_me(test_server: HttpTestServer) -> None:
    response, body = _get(test_server, "/login", method="POST", body=b'{"user": "u"}')
    token = json.loads(body)["token"]
    assert response.status == 200 and token.startswith("tok-")
    other = json.loads(_get(test_server, "/login", method="POST", body=b"{}")[1])["token"]
    assert other != token
    me, me_body = _get(test_server, "/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200 and json.loads(me_body) == {"token": token}
    assert _get(test_server, "/me")[0].status == 401
    assert _get(test_server, "/me", headers={"Authorization": "Bearer nope"})[0].status == 401
    assert _get(test_server, "/login")[0].status == 405
    assert _get(test_server, "/login", method="POST", body=b"not json")[0].status == 400


def test_cookies(test_server: HttpTestServer) -> None:
    response, _ = _get(test_server, "/cookie/set?value=abc")
    assert response.getheader("Set-Cookie") == "sid=abc; Path=/"
    generated, _ = _get(test_server, "/cookie/set")
    assert (generated.getheader("Set-Cookie") or "").startswith("sid=sid-")
    _, body = _get(test_server, "/cookie/get", headers={"Cookie": "sid=abc"})
    assert json.loads(body) == {"cookie": "sid=abc"}
    assert json.loads(_get(test_server, "/cookie/get")[1]) == {"cookie": None}


def test_redirect(test_server: HttpTestServer) -> None:
    response, _ = _get(test_server, "/redirect?to=/status%3Fcode%3D201")
    assert response.status == 302
    assert response.getheader("Location") == "/status?code=201"
    assert _get(test_server, "/redirect?code=307")[0].getheader("Location") == "/ok"


def test_reset_sends_rst(test_server: HttpTestServer) -> None:
    conn = _conn(test_server)
    try:
        conn.request("GET", "/reset")
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
    finally:
        conn.close()


def test_garbage(test_server: HttpTestServer) -> None:
    with socket.create_connection(("127.0.0.1", test_server.port), timeout=5) as sock:
        sock.sendall(b"GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received == GARBAGE
    conn = _conn(test_server)
    try:
        conn.request("GET", "/garbage")
        with pytest.raises(http.client.BadStatusLine):
            conn.getresponse()
    finally:
        conn.close()


def test_close(test_server: HttpTestServer) -> None:
    with socket.create_connection(("127.0.0.1", test_server.port), timeout=5) as sock:
        sock.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):  # ends because the server closes
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in received and received.endswith(b"\r\n\r\nok")


def test_stall_sends_headers_then_waits(test_server: HttpTestServer) -> None:
    conn = _conn(test_server, timeout_s=0.3)
    try:
        conn.request("GET", "/stall?ms=2000")
        response = conn.getresponse()  # headers arrive at once
        assert response.status == 200
        with pytest.raises(TimeoutError):
            response.read()
    finally:
        conn.close()
    started = time.perf_counter()
    response, body = _get(test_server, "/stall?ms=100")
    assert body == b"finally" and time.perf_counter() - started >= 0.095


def test_keep_alive_reuses_one_connection(test_server: HttpTestServer) -> None:
    conn = _conn(test_server)
    try:
        for i in range(50):
            path = ["/ok", "/echo", "/delay?ms=1", "/chunked?n=2"][i % 4]
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        conn.close()
    assert test_server.connections_total == 1
    assert test_server.requests_total == 50
    assert test_server.requests_by_path == {"/ok": 13, "/echo": 13, "/delay": 12, "/chunked": 12}


def test_pipelined_requests_are_answered_in_order(test_server: HttpTestServer) -> None:
    requests = b"".join(
        f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        for p in ["/delay?ms=30", "/status?code=201", "/ok", "/status?code=202"]
    )
    with socket.create_connection(("127.0.0.1", test_server.port), timeout=5) as sock:
        sock.sendall(requests + b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d+) ", received)
    assert statuses == [b"200", b"201", b"200", b"202", b"200"]


def test_counts_are_thread_safe_and_reset(test_server: HttpTestServer) -> None:
    def client() -> None:
        conn = _conn(test_server)
        try:
            for _ in range(100):
                conn.request("GET", "/ok")
                conn.getresponse().read()
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert test_server.requests_total == 800
    assert test_server.requests_by_path == {"/ok": 800}
    assert test_server.connections_total == 8
    test_server.reset()
    assert test_server.requests_total == 0 and test_server.requests_by_path == {}


def test_global_delay(test_server: HttpTestServer) -> None:
    test_server.delay_ms = 50
    started = time.perf_counter()
    assert _get(test_server, "/ok")[0].status == 200
    assert time.perf_counter() - started >= 0.045
    test_server.reset()
    assert test_server.delay_ms == 0


def test_stall_windows_hold_responses(test_server: HttpTestServer) -> None:
    test_server.stall(period_s=0.4, stall_s=0.2)
    with pytest.raises(ValueError):
        test_server.stall(period_s=0.2, stall_s=0.3)
    conn = _conn(test_server)
    latencies_s = []
    try:
        deadline = time.perf_counter() + 0.8
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", "/ok")
            conn.getresponse().read()
            latencies_s.append(time.perf_counter() - started)
    finally:
        conn.close()
    # Two stall windows in 0.8 s: each held one request for most of its 0.2 s.
    assert sum(1 for lat in latencies_s if lat > 0.1) == 2
    assert sum(1 for lat in latencies_s if lat < 0.02) > 10
    test_server.stall(0, 0)
    started = time.perf_counter()
    _get(test_server, "/ok")
    assert time.perf_counter() - started < 0.1


def test_throughput_is_not_the_bottleneck(test_server: HttpTestServer) -> None:
    conn = _conn(test_server)
    started = time.perf_counter()
    try:
        for _ in range(2000):
            conn.request("GET", "/ok")
            conn.getresponse().read()
    finally:
        conn.close()
    assert 2000 / (time.perf_counter() - started) > 1000  # req/s, one synchronous client


def test_start_stop_standalone() -> None:
    with HttpTestServer() as server:
        port = server.port
        assert _get(server, "/ok")[0].status == 200
        idle = _conn(server)
        idle.request("GET", "/ok")
        idle.getresponse().read()  # leaves a keep-alive connection open across stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    idle.close()


def test_tls(tls_test_server: TlsTestServer) -> None:
    assert tls_test_server.url == f"https://127.0.0.1:{tls_test_server.port}"
    assert tls_test_server.ca_pem_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    context = ssl.create_default_context(cafile=str(tls_test_server.ca_pem_path))
    for host in ("127.0.0.1", "localhost"):
        conn = http.client.HTTPSConnection(host, tls_test_server.port, context=context, timeout=5)
        try:
            for _ in range(3):
                conn.request("GET", "/echo")
                assert json.loads(conn.getresponse().read())["path"] == "/echo"
        finally:
            conn.close()
    assert tls_test_server.requests_total == 6
    assert tls_test_server.connections_total == 2


def test_tls_rejects_untrusted_clients(tls_test_server: TlsTestServer) -> None:
    conn = http.client.HTTPSConnection(
        "127.0.0.1", tls_test_server.port, context=ssl.create_default_context(), timeout=5
    )
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/ok")
    finally:
        conn.close()
    assert tls_test_server.requests_total == 0
