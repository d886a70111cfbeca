"""Slow clients are timed out by ``ballroom serve`` (issue 17, item 9), over real sockets.

Before: 3,750 connections sending their requests a byte at a time were all held for 20 s
(as long as the attacker liked): no deadline for headers or body, no cap on connections. Now
a connection has ``header_timeout_s`` to send its headers and ``body_timeout_s`` for its body
(else a 408 and the connection is closed), and past ``max_connections`` requests get a 503.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from serve_support import Server

from ballroom.settings import Settings

pytestmark = pytest.mark.slow

HEADER_S, BODY_S = 1.0, 2.0
LIMIT = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("slow")
    running = Server(
        f"sqlite:///{folder / 'slow.db'}",
        folder / "serve.log",
        demo=False,
        settings={
            "BALLROOM_HEADER_TIMEOUT_S": str(HEADER_S),
            "BALLROOM_BODY_TIMEOUT_S": str(BODY_S),
            "BALLROOM_MAX_CONNECTIONS": str(LIMIT),
        },
    )
    yield running
    running.stop()


def _open(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(0.1)
    return sock


def _trickle(sock: socket.socket, data: bytes, every_s: float, for_s: float) -> tuple[bytes, float]:
    """Send ``data`` a byte every ``every_s`` until the server answers or closes (or ``for_s``
    pass); answer what it sent and when it closed (seconds from the start)."""
    started = time.monotonic()
    received = b""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        deadline = time.monotonic() + every_s
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                return received, time.monotonic() - started
            received += chunk
        if time.monotonic() - started > for_s:
            break
    return received, time.monotonic() - started


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: Server) -> None:
    with _open(server) as sock:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
        received, closed_after = _trickle(sock, request, 0.1, 10 * HEADER_S)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert HEADER_S * 0.8 <= closed_after < HEADER_S + 1.5


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with _open(server) as sock:
        started = time.monotonic()
        sock.settimeout(HEADER_S + 3)
        assert sock.recv(4096).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < HEADER_S + 1.5


def test_a_body_sent_a_byte_at_a_time_is_cut_off(server: Server) -> None:
    head = (
        b"POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 400\r\n\r\n"
    )
    with _open(server) as sock:
        sock.sendall(head)
        received, closed_after = _trickle(sock, b"{" + b" " * 398 + b"}", 0.1, 10 * BODY_S)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert BODY_S * 0.8 <= closed_after < BODY_S + 1.5


def test_past_the_connection_cap_requests_are_refused_at_once(server: Server) -> None:
    held = [_open(server) for _ in range(LIMIT)]
    try:
        time.sleep(0.2)
        refused = httpx.get(f"{server.base}/healthz", timeout=5)
        assert refused.status_code == 503
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200


def test_ordinary_requests_are_served(server: Server) -> None:
    with httpx.Client(base_url=server.base, timeout=5) as client:
        for _ in range(3):  # keep-alive: one connection, several requests
            assert client.get("/healthz").status_code == 200
        response = client.post("/api/v1/accounts", json={"email": "x"})
        assert response.status_code == 422


def test_the_defaults_are_the_documented_ones() -> None:
    defaults = Settings()
    assert (defaults.header_timeout_s, defaults.body_timeout_s) == (10.0, 30.0)
    assert defaults.max_connections == 2048
