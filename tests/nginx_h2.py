"""nginx serving HTTP/2 on loopback for the tests: h2c (prior knowledge) and h2 over TLS (ALPN,
a trustme certificate), plus an HTTP/1.1-only TLS port; every request is logged with its
protocol and status so tests count what nginx saw.

    /            200 "ok"
    /status/404, /status/503   that status
    /big         200 with a 256 KiB body (flow control)
    /static/…    200 "js"
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONF = """
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format proto '$server_port $server_protocol $status $request_method $request_uri';
  access_log {d}/access.log proto;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  http2_max_concurrent_streams {streams};
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{h2c} http2;
    listen 127.0.0.1:{tls} ssl http2;
    listen 127.0.0.1:{h1} ssl;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;
    location = / {{ return 200 "ok"; }}
    location = /status/404 {{ return 404 "status"; }}
    location = /status/503 {{ return 503 "status"; }}
    location = /big {{ alias {d}/big.bin; }}
    location /static/ {{ return 200 "js"; }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NginxH2:
    """`with NginxH2() as nginx:` — ports `h2c`, `tls` (h2 by ALPN) and `h1` (TLS, no h2)."""

    def __init__(self, max_streams: int = 128) -> None:
        import trustme

        self.dir = Path(tempfile.mkdtemp(prefix="surge-nginx-h2-"))
        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        cert.private_key_pem.write_to_path(str(self.dir / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(self.dir / "cert.pem"))
        self.ca_pem_path = self.dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_pem_path))
        (self.dir / "big.bin").write_bytes(b"x" * 256 * 1024)
        self.dir.chmod(0o755)  # nginx's worker (user nobody) reads big.bin
        (self.dir / "big.bin").chmod(0o644)
        self.h2c, self.tls, self.h1 = _free_port(), _free_port(), _free_port()
        conf = CONF.format(d=self.dir, h2c=self.h2c, tls=self.tls, h1=self.h1, streams=max_streams)
        (self.dir / "nginx.conf").write_text(conf)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> NginxH2:
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.h2c), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    self.stop()
                    raise RuntimeError(f"nginx failed: {err}") from None
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def log(self) -> list[tuple[int, str, int, str, str]]:
        """(port, protocol, status, method, uri) of every request logged so far."""
        path = self.dir / "access.log"
        if not path.exists():
            return []
        rows = []
        for line in path.read_text().splitlines():
            port, proto, status, method, uri = line.split(" ", 4)
            rows.append((int(port), proto, int(status), method, uri))
        return rows

    def clear(self) -> None:
        (self.dir / "access.log").write_text("")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            if self.proc.stderr is not None:
                self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> NginxH2:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
