"""The gateway's conformance mode and small raw Engine.IO / Socket.IO clients, for the tests that translate
the official suites (socketio/socket.io docs/engine.io-protocol/v4-test-suite/test-suite.js and
docs/socket.io-protocol/v5-test-suite/test-suite.js).

``coindaily-gateway --conformance --host 127.0.0.1 --port P`` needs no Redis and no auth; it serves

* ``/engine.io/``: an Engine.IO v4 echo server (every message packet, text or binary, is sent back);
* ``/socket.io/``: the Socket.IO v5 test application of the official suite (namespaces ``/`` and ``/custom``,
  ``auth`` emitted on connect with the CONNECT payload, ``message`` echoed as ``message-back``,
  ``message-with-ack`` acknowledged with its arguments);

both with pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000 (and connectTimeout 1000 ms).

The tests talk raw Engine.IO: ``requests`` for HTTP long-polling (a fresh ``requests.Session`` per test, no
proxies from the environment; concurrent requests each get their own session from a thread) and the
``websockets`` client for WebSocket frames (one Engine.IO packet per frame, text or binary).

Where the official suite waits for ``close`` on a socket the server should refuse, a refused WebSocket
upgrade (``InvalidStatus``, HTTP 400) counts as well as a WebSocket that opens and is then closed.

While a test waits for the server to close a WebSocket for a reason other than the heartbeat, it answers
the server's pings (``2`` → ``3``): otherwise the ping timeout (500 ms) would close every connection anyway
and the test could not tell a server that closes on an invalid packet from one that ignores it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from pathlib import Path
from typing import Iterable

import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from cdstack import Proc, binary, child_env, free_port, http_status, wait_until

PING_INTERVAL_MS = 300
PING_TIMEOUT_MS = 200
MAX_PAYLOAD = 1_000_000
CONNECT_TIMEOUT_MS = 1000
HANDSHAKE_KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
RS = "\x1e"  # the record separator between the packets of a polling payload

STARTUP_DEADLINE = float(os.environ.get("COINDAILY_TEST_STARTUP_SECONDS", "60"))
LOG_LEVEL = os.environ.get("COINDAILY_TEST_LOG_LEVEL", "debug")


class ConformanceServer:
    """``coindaily-gateway --conformance`` on a free loopback port."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log_dir = log_dir
        self.proc = Proc("gateway-conformance", [
            binary("coindaily-gateway"), "--conformance", "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", LOG_LEVEL,
        ], log_dir, child_env())

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> "ConformanceServer":
        self.proc.start()
        wait_until("conformance gateway /healthz", lambda: http_status(f"{self.http}/healthz") == 200,
                   STARTUP_DEADLINE, [self.proc])
        return self

    def stop(self) -> None:
        self.proc.kill()

    def log_tail(self, lines: int = 80) -> str:
        return f"---- {self.proc.log_path} ----\n{self.proc.log_tail(lines)}"


def start_conformance_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterable[ConformanceServer]:
    """Body of the module-scoped fixtures: start, yield, kill."""
    server = ConformanceServer(tmp_path_factory.mktemp(name))
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001
        tail = server.log_tail()
        server.stop()
        pytest.fail(f"could not start `coindaily-gateway --conformance`: {exc}\n{tail}", pytrace=False)
    try:
        yield server
    finally:
        alive = server.proc.alive()
        server.stop()
        if not alive:
            print(f"\nthe conformance gateway had exited during the tests:\n{server.log_tail()}")


# ---- HTTP long-polling ---------------------------------------------------------------------------------------

def new_http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxies from the environment
    return session


class Polling:
    """HTTP long-polling requests for one path (``/engine.io/`` or ``/socket.io/``)."""

    def __init__(self, base: str, path: str):
        self.base = base
        self.path = path
        self.http = new_http()

    def url(self, query: str) -> str:
        return f"{self.base}{self.path}?{query}"

    def get(self, query: str, timeout: float = 5.0, session: requests.Session | None = None) -> requests.Response:
        return (session or self.http).get(self.url(query), timeout=timeout)

    def post(self, query: str, body: str | bytes | None = None, timeout: float = 5.0,
             session: requests.Session | None = None, headers: dict[str, str] | None = None) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        return (session or self.http).post(self.url(query), data=data, timeout=timeout, headers=headers)

    def request(self, method: str, query: str, timeout: float = 5.0) -> requests.Response:
        return self.http.request(method, self.url(query), timeout=timeout)

    def handshake(self) -> dict:
        """GET ``?EIO=4&transport=polling``: the open packet's JSON (checked to be an open packet)."""
        resp = self.get("EIO=4&transport=polling")
        assert resp.status_code == 200, f"handshake: HTTP {resp.status_code}: {resp.text[:200]}"
        assert resp.text.startswith("0"), f"handshake body is not an open packet: {resp.text[:200]!r}"
        return json.loads(resp.text[1:])

    def open_session(self) -> str:
        """``initLongPollingSession()``: a new polling session's sid."""
        return self.handshake()["sid"]

    def sid_query(self, sid: str) -> str:
        return f"EIO=4&transport=polling&sid={sid}"

    def poll(self, sid: str, timeout: float = 5.0) -> requests.Response:
        return self.get(self.sid_query(sid), timeout=timeout)

    def push(self, sid: str, body: str | bytes, timeout: float = 5.0) -> requests.Response:
        return self.post(self.sid_query(sid), body, timeout=timeout)

    def collect(self, sid: str, count: int, timeout: float = 3.0) -> list[str]:
        """Poll until ``count`` packets other than pings arrived (pings are answered with a POST ``3``)."""
        packets: list[str] = []
        deadline = time.monotonic() + timeout
        while len(packets) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {packets!r} within {timeout}s, expected {count} packet(s)"
            resp = self.poll(sid, timeout=max(0.5, remaining))
            assert resp.status_code == 200, f"GET: HTTP {resp.status_code} {resp.text!r}; so far {packets!r}"
            for packet in resp.text.split(RS):
                if packet == "2":
                    self.push(sid, "3")
                else:
                    packets.append(packet)
        return packets

    def close(self) -> None:
        self.http.close()


def abandoned_get(port: int, path_and_query: str, hold: float) -> None:
    """Send a GET on a raw socket and drop the connection after ``hold`` seconds, before any answer
    (the suite's AbortController on a pending poll)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n".encode())
        time.sleep(hold)


def check_handshake(value: object, upgrades: list[str]) -> str:
    """The open packet's JSON, as both suites check it; returns the sid."""
    assert isinstance(value, dict), value
    assert set(value) == HANDSHAKE_KEYS, f"handshake keys {sorted(value)}, expected exactly {sorted(HANDSHAKE_KEYS)}"
    assert isinstance(value["sid"], str) and value["sid"], value
    assert value["upgrades"] == upgrades, value
    assert value["pingInterval"] == PING_INTERVAL_MS, value
    assert value["pingTimeout"] == PING_TIMEOUT_MS, value
    assert value["maxPayload"] == MAX_PAYLOAD, value
    for key in ("pingInterval", "pingTimeout", "maxPayload"):
        assert isinstance(value[key], int) and not isinstance(value[key], bool), f"{key} is not an integer: {value}"
    return value["sid"]


# ---- WebSocket -----------------------------------------------------------------------------------------------

class Ws:
    """One raw Engine.IO WebSocket: every frame is one packet (str for text frames, bytes for binary)."""

    def __init__(self, conn: ClientConnection, url: str):
        self.conn = conn
        self.url = url
        self.received: list[str | bytes] = []

    async def send(self, packet: str | bytes) -> None:
        await self.conn.send(packet)

    async def recv(self, timeout: float = 3.0, what: str = "a frame") -> str | bytes:
        """The next frame, whatever it is (pings included)."""
        try:
            frame = await asyncio.wait_for(self.conn.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no frame within {timeout}s while waiting for {what}; "
                                 f"received so far: {self.received[-10:]!r}") from None
        except ConnectionClosed as exc:
            raise AssertionError(f"connection closed ({_describe_close(exc)}) while waiting for {what}; "
                                 f"received so far: {self.received[-10:]!r}") from None
        self.received.append(frame)
        return frame

    async def recv_data(self, timeout: float = 3.0, what: str = "a frame") -> str | bytes:
        """The next frame that is not a ping; pings met on the way are answered with a pong (the official
        suites' ``waitForPackets`` ignores pings the same way)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()), what)
            if frame == "2":
                await self.send("3")
                continue
            return frame

    async def closed_within(self, timeout: float, answer_pings: bool = True) -> bool:
        """True when the server closes the connection within ``timeout`` seconds (frames meanwhile are
        recorded; pings are answered unless told otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                frame = await asyncio.wait_for(self.conn.recv(), remaining)
            except asyncio.TimeoutError:
                return False
            except ConnectionClosed:
                return True
            self.received.append(frame)
            if answer_pings and frame == "2":
                try:
                    await self.send("3")
                except ConnectionClosed:
                    return True

    async def expect_close(self, timeout: float = 2.5, answer_pings: bool = True, why: str = "") -> None:
        if not await self.closed_within(timeout, answer_pings):
            raise AssertionError(f"the server did not close the connection within {timeout}s {why}; "
                                 f"received: {self.received[-10:]!r}")

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.conn.close(), 3)
        except Exception:  # noqa: BLE001 - already closed or stuck: nothing to keep
            pass


async def open_ws(url: str) -> Ws:
    conn = await connect(url, open_timeout=5, close_timeout=2, ping_interval=None, compression=None,
                         max_size=None, proxy=None)
    return Ws(conn, url)


async def open_eio_ws(base_ws: str, path: str, extra_query: str = "") -> tuple[Ws, dict]:
    """A WebSocket-only Engine.IO session: the socket and its handshake (checked to be an open packet)."""
    ws = await open_ws(f"{base_ws}{path}?EIO=4&transport=websocket{extra_query}")
    frame = await ws.recv(what="the Engine.IO open packet")
    assert isinstance(frame, str) and frame.startswith("0"), f"first frame is not an open packet: {frame!r}"
    return ws, json.loads(frame[1:])


async def expect_ws_refused(url: str, timeout: float = 3.0) -> None:
    """The suite's ``waitFor(socket, "close")`` on a socket the server must not accept: either the upgrade is
    refused with HTTP 400, or the WebSocket opens and the server closes it (without an Engine.IO session:
    no open packet)."""
    try:
        ws = await open_ws(url)
    except InvalidStatus as exc:
        status = exc.response.status_code
        assert status == 400, f"{url}: upgrade refused with HTTP {status}, the spec's error status is 400"
        return
    except TimeoutError:  # (an OSError too, so first) no answer to the upgrade request at all
        raise AssertionError(f"{url}: no answer to the WebSocket upgrade request within the open timeout") from None
    except (ConnectionClosed, InvalidHandshake, OSError):
        return  # closed during the opening handshake
    try:
        closed = await ws.closed_within(timeout, answer_pings=False)
        assert closed, f"{url}: the WebSocket stayed open {timeout}s; received {ws.received[-5:]!r}"
        opens = [f for f in ws.received if isinstance(f, str) and f.startswith("0{")]
        assert not opens, f"{url}: the server opened an Engine.IO session on a request it must refuse: {opens}"
    finally:
        await ws.close()


def _describe_close(exc: ConnectionClosed) -> str:
    if exc.rcvd is not None:
        return f"close frame {exc.rcvd.code} {exc.rcvd.reason!r}"
    return "no close frame"


async def in_thread(fn, *args, **kwargs):
    """Run a blocking call (``requests``) without blocking the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)
