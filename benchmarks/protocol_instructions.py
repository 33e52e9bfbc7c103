#!/usr/bin/env python3
"""User-space CPU instructions per WebSocket round trip and per HTTP/2 request, surge beside its
reference: figures that a busy machine does not move (see instructions.py for the method).

WebSocket: a picows echo server (its own process, not measured) answers; a bare picows client
loop (the library surge uses, sending the next message from its frame callback) and surge's
`ws://` URL workload (one user) each make N round trips. HTTP/2: nginx (h2c, as in protocols.py)
answers GET /; h2load (`-c 1 -m 10 -n N`) and surge's `--http2` URL workload (10 users, 10
streams on one connection) each send N requests. Each generator runs under
`valgrind --tool=callgrind` with a small and a large N; the difference of the two instruction
counts over the extra round trips (requests) is the cost of one, start-up and shutdown cancelled
out. Kernel time (a write and a read per message, the same for every client) is not counted.

    python benchmarks/protocol_instructions.py          # ws and h2
    python benchmarks/protocol_instructions.py ws

Needs valgrind, nginx and h2load (Debian: valgrind, nginx-light, nghttp2-client). Takes minutes.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from protocols import NGINX, _echo_server, _free_port  # noqa: E402

SMALL, LARGE = 2_000, 12_000
H2_USERS = 10


def _child(kind: str, n: int, url: str) -> None:
    import asyncio

    import uvloop

    if kind == "ws-bare":
        import picows

        class Client(picows.WSListener):  # type: ignore[misc]
            def __init__(self) -> None:
                self.n = 0

            def on_ws_connected(self, transport: picows.WSTransport) -> None:
                transport.send(picows.WSMsgType.TEXT, b"surge")

            def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
                self.n += 1
                if self.n >= n:
                    transport.send_close(picows.WSCloseCode.OK)
                    transport.disconnect()
                    return
                transport.send(picows.WSMsgType.TEXT, b"surge")

        async def bare() -> None:
            transport, _client = await picows.ws_connect(Client, url)
            await transport.wait_disconnected()

        uvloop.run(bare())
        return

    from surge.engine.closed import ClosedDriver
    from surge.engine.http import ClientConfig
    from surge.engine.workload import RunContext, Workload
    from surge.metrics.recorder import Recorder

    work: Workload
    if kind == "ws-surge":
        from surge.engine.ws.echo import WsEchoWorkload

        work, users = WsEchoWorkload(url, "surge", ClientConfig()), 1
    else:
        from surge.engine.http2.url import H2UrlWorkload
        from surge.scenario.spec import EndpointSpec

        spec = EndpointSpec("GET", url)
        work, users = H2UrlWorkload(spec, ClientConfig(), max_streams=H2_USERS), H2_USERS
    driver = ClosedDriver(users=users, iterations_per_user=n // users)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(driver.run(work, RunContext(Recorder())))


def _instructions(kind: str, n: int, url: str) -> int:
    if kind == "h2load":
        cmd = ["h2load", "-c", "1", "-m", str(H2_USERS), "-n", str(n), url]
    else:
        cmd = [sys.executable, __file__, "--child", kind, str(n), url]
    grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd]
    out = subprocess.run(grind, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    assert found is not None, out[-2000:]
    return int(found.group(1))


def _per_exchange(kind: str, url: str) -> float:
    return (_instructions(kind, LARGE, url) - _instructions(kind, SMALL, url)) / (LARGE - SMALL)


def _report(title: str, rows: list[tuple[str, float]]) -> None:
    print(title)
    reference = rows[0][1]
    for name, per in rows:
        print(f"  {name:<24} {per:>9,.0f} instructions ({reference / per:.2f} x efficiency)")


def websocket() -> None:
    port = _free_port()
    counter = multiprocessing.Value("q", 0, lock=False)
    server = multiprocessing.Process(target=_echo_server, args=(port, 0, counter))
    server.start()
    time.sleep(1.0)
    url = f"ws://127.0.0.1:{port}/echo"
    try:
        rows = [(name, _per_exchange(kind, url)) for name, kind in WS_RUNS]
    finally:
        server.terminate()
        server.join(5)
    _report("WebSocket echo: user-space instructions per round trip", rows)


def http2() -> None:
    d = tempfile.mkdtemp(prefix="surge-bench-h2i-")
    port, status = _free_port(), _free_port()
    Path(d, "nginx.conf").write_text(NGINX.format(d=d, port=port, status=status, affinity="1"))
    nginx = subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf", "-g", "daemon off;"])
    try:
        time.sleep(1.0)
        url = f"http://127.0.0.1:{port}/"
        rows = [(name, _per_exchange(kind, url)) for name, kind in H2_RUNS]
    finally:
        nginx.terminate()
        nginx.wait(5)
        shutil.rmtree(d, ignore_errors=True)
    _report(f"HTTP/2 (1 connection, {H2_USERS} streams): user-space instructions per request", rows)


WS_RUNS = (("bare picows loop", "ws-bare"), ("surge ws:// URL mode", "ws-surge"))
H2_RUNS = (("h2load", "h2load"), ("surge --http2 URL mode", "h2-surge"))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    if not shutil.which("valgrind"):
        sys.exit("protocol_instructions: valgrind not found (apt-get install -y valgrind)")
    which = sys.argv[1:] or ["ws", "h2"]
    if "ws" in which:
        websocket()
    if "h2" in which:
        http2()


if __name__ == "__main__":
    main()
