"""Fixtures of the engine tests: the shared loopback servers (tests/servers.py, routes.py), as
the engine tests address them (`fresh.url(path)`, `fresh.tls_url(path)`)."""

from __future__ import annotations

import collections

import pytest

from servers import HttpTestServer, TlsTestServer


class EngineServers:
    """The shared plain and TLS test servers; counts are the plain server's."""

    __test__ = False

    def __init__(self, plain: HttpTestServer, tls: TlsTestServer) -> None:
        self.plain = plain
        self.tls = tls

    def url(self, path: str) -> str:
        return self.plain.url + path

    def tls_url(self, path: str) -> str:
        return self.tls.url + path

    @property
    def requests(self) -> collections.Counter[str]:
        """Requests received per path."""
        return collections.Counter(self.plain.requests_by_path)

    @property
    def connections(self) -> int:
        """Connections accepted."""
        return self.plain.connections_total


TestServer = EngineServers  # the name the engine tests were written against


@pytest.fixture
def fresh(test_server: HttpTestServer, tls_test_server: TlsTestServer) -> EngineServers:
    """The shared servers with their counters at zero."""
    return EngineServers(test_server, tls_test_server)


@pytest.fixture
def ca_file(tls_test_server: TlsTestServer) -> str:
    return str(tls_test_server.ca_pem_path)
