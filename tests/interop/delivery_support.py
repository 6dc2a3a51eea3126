"""Helpers for test_delivery.py (issue 6, delivery guarantees): the history publish script taken from the Swift
source at test time (so it cannot drift from what the producers run), a publisher that records the id of every
event it publishes, and resuming subscribers for the plain protocol and for Socket.IO.

Every test event is a ``whale_activity_alert`` on ``cd:ev:whale_activity`` whose data carries ``run`` (one
value per test) and ``n`` (its index in that run); a subscriber keeps only the events of its run, so anything
else published on the channel meanwhile cannot confuse the counts. The snapshot test publishes sentiment readings
the way the sentiment producer does (latest key, then the history script), ``publish_sentiment``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from typing import Any

import redis as redis_sync
import redis.asyncio as redis_async
from websockets.exceptions import ConnectionClosed

import jwtutil
from cdstack import JWT_SECRET, REPO_ROOT, Stack
from sioclient import SioClient
from wsclient import Client, open_client

WHALE_CHANNEL = "cd:ev:whale_activity"
WHALE_EVENT = "whale_activity_alert"
ID_RE = re.compile(r"^([0-9a-z]{1,32}):(\d+)-(\d+)$")
EVENT_HISTORY_SWIFT = REPO_ROOT / "Sources" / "CoinDailyProtocol" / "EventHistory.swift"


# ---- the Lua script, from the Swift source -------------------------------------------------------------------

def _swift_multiline(source: str, name: str) -> str:
    """The value of ``static let <name> = [...+] \"\"\" ... \"\"\"`` (one multi-line literal, Swift's indentation
    rule: the closing delimiter's indentation is removed from every line)."""
    match = re.search(rf'static let {name} = (?:\w+ \+ )?"""\n(.*?)\n([ \t]*)"""', source, re.S)
    assert match, f"no multi-line string literal `{name}` in {EVENT_HISTORY_SWIFT}"
    body, indent = match.group(1), match.group(2)
    lines = []
    for line in body.split("\n"):
        assert line.startswith(indent) or not line.strip(), f"{name}: line not indented like the literal: {line!r}"
        lines.append(line[len(indent):])
    text = "\n".join(lines)
    # The Lua text must not use Swift escapes or interpolation (we would have to interpret them here).
    assert "\\" not in text, f"{name} contains a backslash: interpret Swift escapes in delivery_support.py"
    return text


def publish_script() -> str:
    """``EventHistory.publishScript``: ``publishFunction`` (whose literal ends with an empty line, i.e. a
    trailing newline) followed by the script body."""
    source = EVENT_HISTORY_SWIFT.read_text()
    assert re.search(r"static let publishScript = publishFunction \+ \"\"\"", source), \
        "EventHistory.publishScript is no longer publishFunction + a literal: update delivery_support.py"
    return _swift_multiline(source, "publishFunction") + "\n" + _swift_multiline(source, "publishScript")


def parse_id(event_id: str) -> tuple[str, int, int]:
    match = ID_RE.match(event_id)
    assert match, f"not an event id <epoch>:<ms>-<seq>: {event_id!r}"
    return match.group(1), int(match.group(2)), int(match.group(3))


# ---- publishing ------------------------------------------------------------------------------------------------

class Publisher:
    """Publishes whale alerts through the history script (EVAL, as a producer does) and records their ids."""

    def __init__(self, stack: Stack, run: str | None = None, maxlen: int = 2000, maxage_ms: int = 300_000,
                 pad: int = 0, redis_port: int | None = None):
        self.stack = stack
        self.run = run or os.urandom(4).hex()
        self.maxlen = maxlen
        self.maxage_ms = maxage_ms
        self.pad = "x" * pad
        self.ids: list[str] = []
        self._redis = redis_async.Redis(host="127.0.0.1", port=redis_port or stack.redis_port, socket_timeout=5,
                                        socket_connect_timeout=5, decode_responses=True)
        self._script = self._redis.register_script(publish_script())

    async def publish(self, maxlen: int | None = None) -> str:
        n = len(self.ids)
        data: dict[str, Any] = {"run": self.run, "n": n, "token": "BTC", "amount": 10 + n, "amountUSD": 1e6 + n,
                                "type": "transfer", "from": "0xfrom", "to": "0xto", "txHash": f"0x{self.run}{n:06d}",
                                "timestamp": int(time.time() * 1000)}
        if self.pad:
            data["pad"] = self.pad
        body = json.dumps({"type": WHALE_EVENT, "data": data, "timestamp": int(time.time() * 1000)})
        event_id = await self._script(args=[body, maxlen or self.maxlen, self.maxage_ms, WHALE_CHANNEL])
        parse_id(event_id)
        self.ids.append(event_id)
        return event_id

    async def burst(self, count: int, maxlen: int | None = None) -> list[str]:
        return [await self.publish(maxlen) for _ in range(count)]

    async def steady(self, rate: float, seconds: float) -> None:
        """``rate`` events per second for ``seconds`` (paced against the clock, not by sleeping a fixed step)."""
        started = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.publish()

    async def close(self) -> None:
        await self._redis.aclose()


SENTIMENT_EVENT = "market_sentiment_update"


def sentiment_channel(token: str) -> str:
    return f"cd:ev:market_sentiment:{token}"


def latest_sentiment_key(token: str) -> str:
    """Where the sentiment producer keeps a token's latest update data (``RedisKeys.latestSentiment``)."""
    return f"cd:latest:market_sentiment:{token}"


def sentiment_data(token: str, score: float) -> dict:
    """A ``market_sentiment_update`` data object (every field of the contract) with the given score."""
    return {"token": token, "sentiment": "bullish" if score > 0.2 else "neutral", "score": score, "confidence": 0.75,
            "sources": {"social": score, "news": 0.5, "whale": 0.25, "technical": 0.125},
            "priceChange24h": 2.5, "timestamp": int(time.time() * 1000)}


def publish_sentiment(r: redis_sync.Redis, data: dict, script: str, maxlen: int = 1000,
                      maxage_ms: int = 300_000) -> str:
    """Publishes one sentiment reading as the sentiment producer does (``EventPublisher``): ``SET`` of the token's
    latest key to ``data``, pipelined just before the history script on the token's channel; returns the event id."""
    token = data["token"]
    envelope = json.dumps({"type": SENTIMENT_EVENT, "data": data, "timestamp": int(time.time() * 1000)})
    pipe = r.pipeline(transaction=False)
    pipe.set(latest_sentiment_key(token), json.dumps(data))
    pipe.eval(script, 0, envelope, maxlen, maxage_ms, sentiment_channel(token))
    _, event_id = pipe.execute()
    parse_id(event_id)
    return event_id


def hs256_token(sub: str, roles: tuple[str, ...] = ("user",)) -> str:
    """A token the gateways accept (the stack's HS256 secret), minted locally: hundreds of them cost nothing."""
    return jwtutil.hs256(jwtutil.claims(sub, list(roles)), JWT_SECRET)


# ---- resuming subscribers ---------------------------------------------------------------------------------------

class PlainSubscriber:
    """A plain-protocol subscriber to whale activity that records the ids of its run's events and can resume on
    any gateway with ``since`` (the last id received, or the confirmation's ``position`` before any event)."""

    def __init__(self, run: str, sub: str | None = None):
        self.run = run
        self.sub = sub or f"plain-{os.urandom(4).hex()}"
        self.ids: list[str] = []
        self.since: str | None = None  # where to resume from
        self.client: Client | None = None
        self.confirmations: list[dict] = []
        self.close_codes: list[int | None] = []
        self.foreign = 0  # whale events of other runs
        self.errors: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.marks: list[int] = []  # len(ids) at each connect

    async def connect(self, ws_url: str) -> dict:
        self.closed.clear()
        self.marks.append(len(self.ids))
        self.client = await open_client(ws_url)
        reply = await self.client.auth(hs256_token(self.sub))
        assert reply["type"] == "auth_success", f"{self.sub}: auth failed: {reply}"
        data = {"since": self.since} if self.since else {}
        reply = await self.client.subscribe("whale_activity", data)
        assert reply["type"] == "subscription_confirmed", f"{self.sub}: subscribe {data} -> {reply}"
        self.confirmations.append(reply["data"])
        if self.since is None:
            self.since = reply["data"].get("position")
        self._reader = asyncio.create_task(self._read())
        return reply["data"]

    async def _read(self) -> None:
        assert self.client is not None
        ws = self.client.ws
        try:
            while True:
                raw = await ws.recv()
                msg = json.loads(raw)
                if msg.get("type") != WHALE_EVENT:
                    continue
                if msg.get("data", {}).get("run") != self.run:
                    self.foreign += 1
                    continue
                event_id = msg.get("id")
                if not isinstance(event_id, str) or msg.get("room") != "whale_activity":
                    self.errors.append(f"event without id/room: {raw[:200]}")
                    continue
                self.ids.append(event_id)
                self.since = event_id
        except ConnectionClosed as exc:
            self.close_codes.append(exc.rcvd.code if exc.rcvd is not None else None)
        finally:
            self.closed.set()

    async def close(self) -> None:
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.close(), 3)
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 3)
            except Exception:  # noqa: BLE001
                self._reader.cancel()


class SioSubscriber:
    """A Socket.IO subscriber (python-socketio, no automatic reconnection) that recovers its session on any
    gateway with CONNECT auth ``{token, pid, offset}``."""

    def __init__(self, run: str, sub: str | None = None):
        self.run = run
        self.sub = sub or f"sio-{os.urandom(4).hex()}"
        self.client: SioClient | None = None
        self.ids: list[str] = []
        self.pid: str | None = None
        self.pids: list[str | None] = []  # the pid of each connection, in order
        self.offset: str | None = None
        self.foreign = 0
        self.errors: list[str] = []
        self.marks: list[int] = []  # len(ids) at each connect
        self.roles: tuple[str, ...] = ("user",)  # of the token of the next connect

    async def connect(self, http_url: str, subscribe: bool = True, transports: list[str] | None = None) -> str | None:
        """Connects (recovering when a pid is known) over ``transports`` (WebSocket only by default); returns the
        auth_success pid."""
        self._harvest()
        self.marks.append(len(self.ids))
        client = SioClient()
        self.client = client
        auth: dict[str, Any] = {"token": hs256_token(self.sub, self.roles)}
        if self.pid is not None:
            auth["pid"] = self.pid
            if self.offset is not None:
                auth["offset"] = self.offset
        await client.connect(http_url, auth=auth, transports=transports or ["websocket"])
        data = await client.event("auth_success", 0, timeout=5)
        pid = data.get("pid")
        self.pids.append(pid)
        if subscribe:
            reply = await client.call("subscribe_whale_activity", {}, timeout=5)
            assert reply.get("type") == "subscription_confirmed", f"{self.sub}: {reply}"
        self.pid = pid
        return pid

    def _harvest(self) -> None:
        """Moves the events received by the current client into ``ids`` (with their offsets)."""
        client = self.client
        if client is None:
            return
        offsets = dict(client.offsets)
        for index, (event, args) in enumerate(client.events):
            if event != WHALE_EVENT:
                continue
            data = args[0] if args else None
            if not isinstance(data, dict) or data.get("run") != self.run:
                self.foreign += 1
                continue
            offset = offsets.get(index)
            if offset is None:
                self.errors.append(f"event without an offset argument: {str(args)[:200]}")
                continue
            self.ids.append(offset)
            self.offset = offset
        if client.last_offset is not None:
            self.offset = client.last_offset
        client.events.clear()
        client.offsets.clear()

    def received(self) -> list[str]:
        """All ids of this run so far, the current connection's included."""
        self._harvest()
        return self.ids

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.sio.connected

    async def close(self, harvest: bool = True) -> None:
        if self.client is not None:
            if harvest:
                self._harvest()
            await self.client.close()


def check_exactly_once(name: str, got: list[str], expected: list[str]) -> str | None:
    """None when ``got`` is ``expected`` exactly; otherwise a short description of the difference."""
    if got == expected:
        return None
    want = set(expected)
    dups = len(got) - len(set(got))
    missing = [i for i in expected if i not in set(got)]
    extra = [i for i in got if i not in want]
    order = "in order" if [i for i in got if i in want] == [i for i in expected if i in set(got)] else "OUT OF ORDER"
    return (f"{name}: got {len(got)} events for {len(expected)} published: {dups} duplicate(s), "
            f"{len(missing)} missing (first {missing[:3]}), {len(extra)} unexpected (first {extra[:3]}), {order}")
