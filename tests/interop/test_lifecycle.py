"""Process lifecycle: a second gateway (fan-out through Redis, SIGTERM closes with 1001), a draining gateway refusing
new connections, and a Redis restart under the running stack."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time

import pytest
import redis as redis_lib
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

import jwtutil
from cdstack import (HTTP, JWT_SECRET, Stack, binary, bullish_batch, free_port, now_ms, redis_ping, signal_item,
                     wait_until)
from wsclient import assert_sentiment_data, connected, keepalive, open_client

# An event id (issue 6): <epoch>:<ms>-<seq>, the epoch of [0-9a-z].
EVENT_ID_RE = re.compile(r"^[0-9a-z]+:\d+-\d+$")


def _status(url: str) -> int | None:
    try:
        return HTTP.get(url, timeout=2).status_code
    except Exception:  # noqa: BLE001 - not answering
        return None


async def _wait_status(url: str, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await asyncio.to_thread(_status, url)
        if last == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} still answers {last} after {timeout}s (expected {expected})")


@pytest.mark.timeout(90)
async def test_second_gateway_gets_updates_through_redis_and_closes_1001_on_sigterm(stack: Stack) -> None:
    port = free_port()
    gateway = stack.start_extra("gateway-2", [*stack.gateway_argv(port)])
    try:
        await asyncio.to_thread(wait_until, "gateway-2 /readyz",
                                lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, 60, [gateway])
        token = stack.mint("second-gateway-user", ["user"])
        async with connected(f"ws://127.0.0.1:{port}/ws") as client:
            reply = await client.auth(token)
            assert reply["type"] == "auth_success", reply
            reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
            assert reply["type"] == "subscription_confirmed", reply

            stack.ingest_ok(bullish_batch("BTC"))
            update = await client.event("market_sentiment_update", 15, lambda d: d.get("token") == "BTC")
            assert_sentiment_data(update["data"], "BTC")

            gateway.signal(signal.SIGTERM)
            code = await client.closed(timeout=15)
            assert code == 1001, f"close code on gateway shutdown: {code}"

        status = await asyncio.to_thread(gateway.wait, 20)
        assert status is not None, "gateway still running 20 s after SIGTERM"
        assert status == 0, f"gateway exit status after SIGTERM: {status}"
    finally:
        gateway.stop(5)


async def _new_connection(url: str) -> str:
    """One WebSocket connection attempt: ``"101"`` (closed again at once), ``"HTTP <status>"`` or the socket error."""
    try:
        ws = await ws_connect(url, open_timeout=5, close_timeout=2, ping_interval=None, proxy=None)
    except InvalidStatus as exc:
        return f"HTTP {exc.response.status_code}"
    except (OSError, asyncio.TimeoutError) as exc:
        return type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - accepted, then dropped mid-handshake: say how
        return f"{type(exc).__name__}: {exc}"
    await ws.close()
    return "101"


@pytest.mark.timeout(60)
async def test_draining_gateway_refuses_new_connections_until_it_exits(stack: Stack) -> None:
    """SIGTERM (docs/delivery.md, close code 1001): the gateway stops accepting, closes its connections with 1001 and
    exits. Bad input: new connections while it shuts down. Gets: refused — once it has stopped accepting, the plain
    WebSocket upgrade and the Engine.IO one are refused at connect (connection refused; an HTTP 503 would do too),
    never upgraded, while the process still runs; the open connection gets 1001; the process exits with 0.

    A drain takes a few milliseconds, too short to try anything against it. So the gateway runs on a Redis of its
    own, paused (``CLIENT PAUSE … ALL``) just before the signal: after it stopped accepting and sent the 1001s, the
    gateway's shutdown then waits about 3 s for the Redis commands in flight, and the connection attempts run in that
    time."""
    redis_proc, redis_port = stack.start_private_redis("redis-drain")
    gateway = None
    client = None
    try:
        await asyncio.to_thread(wait_until, "redis-drain", lambda: redis_ping(redis_port), 20, [redis_proc])
        gateway, port = stack.start_gateway("gateway-drain", timeout=60, redis_port=redis_port)
        plain_url = f"ws://127.0.0.1:{port}/ws"
        eio_url = f"ws://127.0.0.1:{port}/ws/?EIO=4&transport=websocket"
        assert await _new_connection(plain_url) == "101" and await _new_connection(eio_url) == "101", \
            "control: the gateway accepts both kinds of connection before the signal"
        client = await open_client(plain_url)
        reply = await client.auth(jwtutil.hs256(jwtutil.claims("drain-user", ["user"]), JWT_SECRET))
        assert reply["type"] == "auth_success", reply
        r = redis_lib.Redis(host="127.0.0.1", port=redis_port, socket_timeout=5)
        try:
            r.execute_command("CLIENT", "PAUSE", "10000", "ALL")
        finally:
            r.close()
        gateway.signal(signal.SIGTERM)

        # Until the signal is handled a connection may still be accepted; then every one is refused.
        attempts: list[tuple[str, bool]] = []  # (outcome, gateway still running after it)
        deadline = time.monotonic() + 2.5
        while True:
            outcome = await _new_connection(plain_url)
            attempts.append((outcome, gateway.alive()))
            if outcome != "101":
                break
            assert time.monotonic() < deadline, f"still accepting 2.5 s after SIGTERM: {attempts}"
        assert attempts[-1][1], f"the gateway exited before it could be seen refusing: {attempts} (the Redis pause " \
                                f"no longer holds its shutdown: find another way to keep it draining)"
        for url in (plain_url, eio_url):
            outcome = await _new_connection(url)
            attempts.append((outcome, gateway.alive()))
            assert outcome in ("ConnectionRefusedError", "HTTP 503") and attempts[-1][1], \
                f"a new connection to {url} after the gateway stopped accepting: (outcome, still running) " \
                f"{attempts}"

        code = await client.closed(timeout=15)
        assert code == 1001, f"close code of the open connection on SIGTERM: {code}"
        status = await asyncio.to_thread(gateway.wait, 20)
        assert status == 0, f"gateway exit status after SIGTERM: {status}"
    finally:
        if client is not None:
            await client.close()
        if gateway is not None:
            gateway.stop(5)
        redis_proc.stop(5)


@pytest.mark.parametrize("service", ["auth", "sentiment"])
def test_service_exits_cleanly_on_sigterm(stack: Stack, service: str) -> None:
    """`make run`'s Ctrl-C and container stops rely on every process ending promptly on SIGTERM."""
    port = free_port()
    if service == "auth":
        argv = [binary("coindaily-auth"), "--host", "127.0.0.1", "--port", str(port), "--dev",
                # the stack's own keys: the auth service replaces the key set it publishes in Redis, so a
                # second key would lock the stack's tokens out of the gateway
                "--key-dir", str(stack.root / "auth-keys"), "--redis-url", stack.redis_url]
    else:
        argv = [binary("coindaily-sentiment"), "--host", "127.0.0.1", "--port", str(port),
                "--redis-url", stack.redis_url]
    health = f"http://127.0.0.1:{port}/healthz"
    proc = stack.start_extra(f"{service}-sigterm", argv)
    try:
        wait_until(f"{service} /healthz", lambda: _status(health) == 200, 60, [proc])
        time.sleep(0.5)
        started = time.monotonic()
        proc.signal(signal.SIGTERM)
        status = proc.wait(8)
        assert status is not None, f"{service} still running 8 s after SIGTERM"
        assert status == 0, f"{service} exit status after SIGTERM: {status}"
        assert time.monotonic() - started < 8
    finally:
        proc.stop(2)


@pytest.mark.disruptive
@pytest.mark.timeout(180)
async def test_redis_restart_gateway_and_producer_recover(stack: Stack) -> None:
    """Redis restarts EMPTY under the running stack. The history is lost with it, so (issue 6) the gateway closes
    the subscribed plain connection with 3010 ("insufficient state": reconnect and resume) rather than carry on
    with a silent gap; the client reconnects, resumes with ``since`` = the last id it got and is told
    ``recovered: false, reason: "epoch"``; then it gets updates again, from the new epoch."""
    readyz = f"{stack.gateway_http}/readyz"
    sub = f"redis-restart-{os.urandom(4).hex()}"
    token = stack.mint(sub, ["user"])  # minted first: the auth timeout is short; reused by the reconnect
    async with connected(stack.ws_url) as client, keepalive(client):
        reply = await client.auth(token)
        assert reply["type"] == "auth_success", reply
        reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        stack.ingest_ok(bullish_batch("BTC"))
        await client.event("market_sentiment_update", 15, lambda d: d.get("token") == "BTC",
                           "a BTC update before the restart")

        # -- Redis goes away: the gateway is no longer ready, but it and the producer keep running.
        stack.kill_redis()
        killed_at = now_ms()
        await _wait_status(readyz, 503, 15)
        assert stack.procs["gateway"].alive() and stack.procs["sentiment"].alive() and stack.procs["auth"].alive()
        await asyncio.sleep(0.5)
        await client.collect(1.0)  # drop anything sent before the outage (kept in client.received)

        # -- Redis is back on the same port (empty: nothing was persisted).
        # On this thread: a child started from a worker thread would die with that thread (PDEATHSIG).
        stack.start_redis()
        assert redis_ping(stack.redis_port)
        await _wait_status(readyz, 200, 45)

        # The old, still-subscribed connection cannot be resumed from the lost history: closed with 3010.
        code = await client.closed(timeout=30)
        assert code == 3010, f"close code of a subscribed connection after an empty Redis restart: {code}"
        ids = [m.get("id") for m in client.received
               if m["type"] == "market_sentiment_update" and m["data"].get("token") == "BTC"]
        assert ids and all(isinstance(i, str) and EVENT_ID_RE.match(i) for i in ids), \
            f"BTC updates without an event id <epoch>:<ms>-<seq>: {ids}"
        last_id = ids[-1]
        old_epoch = last_id.split(":", 1)[0]

    # -- The client reconnects (same token) and resumes from the last id it got: not recovered, reason epoch.
    async with connected(stack.ws_url) as client, keepalive(client):
        reply = await client.auth(token)
        assert reply["type"] == "auth_success", f"reconnect after the Redis restart: {reply}"
        reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"], "since": last_id})
        assert reply["type"] == "subscription_confirmed", f"resume with since={last_id}: {reply}"
        data = reply["data"]
        assert data.get("recovered") is False and data.get("reason") == "epoch", \
            f"resume with since={last_id} after an empty Redis restart: {data}"
        assert data.get("channel") == "market_sentiment" and data.get("tokens") == ["BTC"], data
        position = data.get("position")
        assert isinstance(position, str) and EVENT_ID_RE.match(position), f"position is not an event id: {data}"
        new_epoch = position.split(":", 1)[0]
        assert new_epoch != old_epoch, f"the epoch did not change with Redis' data: {position} (last id {last_id})"

        # ... and gets updates again, from the new epoch.
        deadline = time.monotonic() + 45
        while True:
            try:
                await asyncio.to_thread(stack.ingest, bullish_batch("BTC"))
            except Exception:  # noqa: BLE001 - the producer may still be reconnecting
                pass
            got = await client.collect(1.0)
            # A resume that is not recovered is followed by a snapshot of the latest value: an update without
            # an id (docs/delivery.md); the live updates after it carry ids of the new epoch.
            updates = [m for m in got if m["type"] == "market_sentiment_update" and m["data"].get("token") == "BTC"
                       and "id" in m]
            if updates:
                assert updates[-1]["timestamp"] >= killed_at, updates[-1]
                assert_sentiment_data(updates[-1]["data"], "BTC")
                update_id = updates[-1].get("id")
                assert isinstance(update_id, str) and EVENT_ID_RE.match(update_id), updates[-1]
                assert update_id.split(":", 1)[0] == new_epoch, \
                    f"update {update_id} is not of the epoch of the resume's position {position}"
                break
            assert time.monotonic() < deadline, "no BTC update on the resumed connection within 45 s of Redis' return"

    # A new connection, with a token minted after the restart, authenticates, and the producer's stream
    # consumer works again (SOL: no test has ingested it, so any SOL update comes from this XADD).
    deadline = time.monotonic() + 30
    while True:
        resp = await asyncio.to_thread(stack.post_token, {"sub": "after-restart", "roles": ["user"], "ttl": 600})
        if resp.status_code == 200:
            break
        assert time.monotonic() < deadline, f"auth cannot mint after the Redis restart: {resp.status_code} {resp.text}"
        await asyncio.sleep(0.5)
    async with connected(stack.ws_url) as fresh:
        reply = await fresh.auth(resp.json()["token"])
        assert reply["type"] == "auth_success", reply
        reply = await fresh.subscribe("market_sentiment", {"tokens": ["SOL"]})
        assert reply["type"] == "subscription_confirmed", reply
        deadline = time.monotonic() + 45
        while True:
            await asyncio.to_thread(stack.xadd_ingest, signal_item("SOL", "news", 0.5))
            got = await fresh.collect(2.0)
            if any(m["type"] == "market_sentiment_update" and m["data"].get("token") == "SOL" for m in got):
                break
            assert time.monotonic() < deadline, "no SOL update from the ingest stream within 45 s of Redis' return"
