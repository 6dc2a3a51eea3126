"""A small asyncio client for the gateway's plain JSON WebSocket protocol (``/ws``), for tests.

Every received message is checked against the envelope every server message must have: a JSON object
text frame with a string ``type`` and an integer millisecond ``timestamp``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Iterable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

# Server-pushed events; everything else the server sends is a reply to something the client sent.
EVENT_TYPES = frozenset({
    "market_sentiment_update", "whale_activity_alert", "task_status_update", "pipeline_progress_update",
    "budget_alert", "moderation_queue_update", "system_health_update", "trending_memecoins_update",
})

SENTIMENT_LABELS = frozenset({"very_bullish", "bullish", "neutral", "bearish", "very_bearish"})


def now_ms() -> int:
    return int(time.time() * 1000)


def check_envelope(msg: Any, raw: str) -> None:
    assert isinstance(msg, dict), f"server message is not a JSON object: {raw[:200]}"
    assert isinstance(msg.get("type"), str), f"server message without a string 'type': {raw[:200]}"
    ts = msg.get("timestamp")
    assert isinstance(ts, int) and not isinstance(ts, bool), \
        f"server message without an integer 'timestamp' (Unix ms): {raw[:200]}"
    assert abs(ts - now_ms()) < 5 * 60 * 1000, f"'timestamp' is not Unix milliseconds of now: {raw[:200]}"
    if msg["type"] in ("error", "auth_error"):
        err = msg.get("error")
        assert isinstance(err, dict), f"{msg['type']} without an 'error' object: {raw[:200]}"
        assert isinstance(err.get("code"), str), f"error without a string 'code': {raw[:200]}"
        assert isinstance(err.get("message"), str), f"error without a string 'message': {raw[:200]}"


class Client:
    """One WebSocket connection to the gateway."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.received: list[dict] = []
        self._drain_task: asyncio.Future[None] | None = None

    # ---- sending ---------------------------------------------------------------------------------------

    async def send(self, message: dict | str | bytes) -> None:
        if isinstance(message, dict):
            message = json.dumps(message)
        await self.ws.send(message)

    async def send_raw(self, data: bytes) -> None:
        """Write bytes straight to the socket, below the WebSocket layer (for malformed frames)."""
        self.ws.transport.write(data)
        await asyncio.sleep(0)

    # ---- receiving -------------------------------------------------------------------------------------

    async def recv(self, timeout: float = 5.0, what: str = "a message") -> dict:
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no message from the gateway within {timeout}s (waiting for {what}); "
                                 f"received so far: {self._summary()}") from None
        except ConnectionClosed as exc:
            raise AssertionError(f"connection closed (code {_close_code(exc)}) while waiting for {what}; "
                                 f"received so far: {self._summary()}") from None
        assert isinstance(raw, str), f"gateway sent a binary frame: {raw[:100]!r}"
        msg = json.loads(raw)
        check_envelope(msg, raw)
        self.received.append(msg)
        return msg

    async def reply(self, timeout: float = 5.0, what: str = "a reply") -> dict:
        """The next message that is not a pushed event."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - time.monotonic()), what)
            if msg["type"] not in EVENT_TYPES:
                return msg

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float, what: str) -> dict:
        """The first message (events included) matching ``predicate``; others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout}s; received: {self._summary()}")
            msg = await self.recv(remaining, what)
            if predicate(msg):
                return msg

    async def event(self, type_: str, timeout: float = 15.0, where: Callable[[dict], bool] | None = None,
                    what: str | None = None) -> dict:
        return await self.wait_for(
            lambda m: m["type"] == type_ and isinstance(m.get("data"), dict) and (where is None or where(m["data"])),
            timeout, what or type_)

    async def collect(self, window: float) -> list[dict]:
        """Everything received during ``window`` seconds."""
        out: list[dict] = []
        deadline = time.monotonic() + window
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:
                break
            msg = json.loads(raw)
            check_envelope(msg, raw)
            self.received.append(msg)
            out.append(msg)
        return out

    async def closed(self, timeout: float) -> int | None:
        """Wait for the connection to close (reading and discarding messages); the close code received."""
        if not await self.closes_within(timeout):
            raise AssertionError(f"connection still open after {timeout}s; received: {self._summary()}")
        return self.ws.close_code

    async def closes_within(self, timeout: float) -> bool:
        """True when the connection closed within ``timeout`` seconds. From then on a background reader owns
        the connection: use only ``send_raw`` and ``closed`` afterwards, not ``recv``."""
        try:
            await asyncio.wait_for(asyncio.shield(self._closing()), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def _closing(self) -> "asyncio.Future[None]":
        if self._drain_task is None:
            self._drain_task = asyncio.ensure_future(self._drain_until_closed())
        return self._drain_task

    async def _drain_until_closed(self) -> None:
        try:
            while True:
                raw = await self.ws.recv()
                if isinstance(raw, str):
                    try:
                        self.received.append(json.loads(raw))
                    except ValueError:
                        pass
        except ConnectionClosed:
            return

    # ---- requests --------------------------------------------------------------------------------------

    async def request(self, message: dict | str | bytes, timeout: float = 5.0) -> dict:
        await self.send(message)
        return await self.reply(timeout, f"the reply to {str(message)[:120]}")

    async def expect_error(self, message: dict | str | bytes, code: str, type_: str = "error") -> dict:
        reply = await self.request(message)
        assert reply["type"] == type_ and reply["error"]["code"] == code, \
            f"expected {type_} {code} for {str(message)[:120]}, got {reply}"
        return reply

    async def ping(self) -> None:
        reply = await self.request({"type": "ping"})
        assert reply["type"] == "pong", f"expected pong, got {reply}"

    async def auth(self, token: str, style: str = "top") -> dict:
        message = {"type": "auth", "token": token} if style == "top" else \
            {"type": "auth", "data": {"token": token}}
        return await self.request(message)

    async def subscribe(self, channel: str, data: dict | None = None, **extra: Any) -> dict:
        message: dict[str, Any] = {"type": f"subscribe_{channel}", **extra}
        if data is not None:
            message["data"] = data
        return await self.request(message)

    async def unsubscribe(self, channel: str, data: dict | None = None) -> dict:
        message: dict[str, Any] = {"type": f"unsubscribe_{channel}"}
        if data is not None:
            message["data"] = data
        return await self.request(message)

    async def close(self) -> None:
        await self.ws.close()

    def _summary(self) -> str:
        shown = [json.dumps(m)[:160] for m in self.received[-8:]]
        return f"{len(self.received)} message(s), last: {shown}"


@asynccontextmanager
async def keepalive(client: Client, interval: float = 5.0) -> AsyncIterator[None]:
    """Send {"type": "ping"} every ``interval`` seconds meanwhile (so no idle timeout hits a waiting test);
    the pongs are received like any message."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await client.send({"type": "ping"})
            except ConnectionClosed:
                return

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def _close_code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


async def open_client(url: str) -> Client:
    ws = await connect(url, open_timeout=10, close_timeout=3, ping_interval=None, compression=None,
                       max_size=8 * 1024 * 1024, proxy=None)
    return Client(ws)


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Client]:
    client = await open_client(url)
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def session(stack: Any, roles: Iterable[str] = ("user",), sub: str | None = None,
                  style: str = "top") -> AsyncIterator[Client]:
    """An authenticated connection (the token is minted before connecting: the auth timeout is short)."""
    sub = sub or f"user-{os.urandom(4).hex()}"
    roles = list(roles)
    token = stack.mint(sub, roles)
    async with connected(stack.ws_url) as client:
        reply = await client.auth(token, style)
        assert reply["type"] == "auth_success", f"auth failed: {reply}"
        yield client


def assert_sentiment_data(data: Any, token: str | None = None) -> None:
    """The ``data`` of a market_sentiment_update (and of each snapshot entry), field by field."""
    assert isinstance(data, dict), data
    if token is not None:
        assert data.get("token") == token, data
    assert isinstance(data.get("token"), str) and data["token"], data
    assert data.get("sentiment") in SENTIMENT_LABELS, f"sentiment label {data.get('sentiment')!r}: {data}"
    assert _number(data.get("score")) and -1.0 <= data["score"] <= 1.0, f"score: {data}"
    assert _number(data.get("confidence")) and 0.0 <= data["confidence"] <= 1.0, f"confidence: {data}"
    sources = data.get("sources")
    assert isinstance(sources, dict), f"sources: {data}"
    for key in ("social", "news", "whale", "technical"):
        assert _number(sources.get(key)), f"sources.{key}: {data}"
    assert _number(data.get("priceChange24h")), f"priceChange24h: {data}"
    ts = data.get("timestamp")
    assert isinstance(ts, int) and not isinstance(ts, bool) and abs(ts - now_ms()) < 10 * 60 * 1000, \
        f"timestamp (Unix ms): {data}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
