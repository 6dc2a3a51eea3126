"""Delivery guarantees (issue 6): event ids, resume with ``since`` on the plain protocol, Socket.IO connection state
recovery (``pid`` + ``offset``), and no loss and no duplicate when a gateway dies (SIGKILL), drains (SIGTERM) or
cuts off a slow consumer, or when Redis restarts.

The events are whale alerts published the way producers publish them: ``EventHistory.publishScript`` (taken from
the Swift source at test time, delivery_support.py) EVALed on the stack's Redis, which gives each event its id
``<epoch>:<ms>-<seq>``, appends it to ``cd:hist:cd:ev:whale_activity`` and publishes it. The publisher records every
id; a subscriber's received ids must equal them: same ids, same order, each once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from cdstack import HTTP, LOG_LEVEL, Proc, Stack, redis_ping, wait_until
from delivery_support import (ID_RE, SENTIMENT_EVENT, WHALE_CHANNEL, WHALE_EVENT, PlainSubscriber, Publisher,
                              SioSubscriber, check_exactly_once, hs256_token, latest_sentiment_key, parse_id,
                              publish_script, publish_sentiment, sentiment_channel, sentiment_data)
import security_support
from sioclient import SioClient
from wsclient import Client, open_client

# Gateways for the fault tests: hundreds of connections from 127.0.0.1 within a second or two.
HIGH_LIMITS = {"GATEWAY_MAX_CONNECTIONS_PER_IP": "100000", "GATEWAY_CONNECTION_RATE_PER_IP": "100000"}


# ---- helpers ------------------------------------------------------------------------------------------------------

async def ws_session(url: str, sub: str | None = None) -> Client:
    client = await open_client(url)
    reply = await client.auth(hs256_token(sub or f"dlv-{os.urandom(4).hex()}"))
    assert reply["type"] == "auth_success", reply
    return client


async def run_events(client: Client, run: str, count: int, timeout: float = 5.0) -> list[dict]:
    """The next ``count`` whale alerts of ``run`` (other messages are skipped)."""
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(out)} of {count} events of run {run} within {timeout}s: " \
                              f"{[m.get('id') for m in out]}; received: {client._summary()}"
        msg = await client.recv(remaining, f"event {len(out) + 1} of {count}")
        if msg["type"] == WHALE_EVENT and msg["data"].get("run") == run:
            assert ID_RE.match(msg.get("id", "")), f"event id: {msg}"
            assert msg.get("room") == "whale_activity", f"event room: {msg}"
            out.append(msg)
    return out


async def no_run_events(client: Client, run: str, window: float) -> None:
    got = [m for m in await client.collect(window) if m["type"] == WHALE_EVENT and m["data"].get("run") == run]
    assert not got, f"unexpected events of run {run}: {[m['id'] for m in got]}"


def assert_position(data: dict, at_least: str | None = None) -> None:
    """``position`` of a subscription_confirmed: an id; not before ``at_least`` (same epoch)."""
    position = data.get("position")
    assert isinstance(position, str) and ID_RE.match(position), \
        f"subscription_confirmed position is not an id <epoch>:<ms>-<seq>: {data}"
    if at_least is not None:
        epoch, ms, seq = parse_id(position)
        epoch2, ms2, seq2 = parse_id(at_least)
        assert epoch == epoch2 and (ms, seq) >= (ms2, seq2), f"position {position} is before {at_least}: {data}"


async def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = await asyncio.to_thread(lambda: HTTP.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code)
            if status == 200:
                return
        except Exception:  # noqa: BLE001
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"gateway on {port} not ready within {timeout}s")


def metric(port: int, name: str, **labels: str) -> float:
    """The gateway on ``port``'s /metrics sample ``name`` (summed over the label sets containing ``labels``)."""
    return security_support.metric(f"http://127.0.0.1:{port}", name, **labels)


def redis_connections(proc: Proc, redis_port: int) -> set[str]:
    """The ``addr`` (as ``CLIENT LIST`` shows it) of each TCP connection ``proc`` has open to the Redis on
    ``redis_port``: its socket inodes (/proc/<pid>/fd) looked up in its network namespace's TCP table."""
    inodes: set[str] = set()
    for fd in os.listdir(f"/proc/{proc.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    addrs: set[str] = set()
    with open(f"/proc/{proc.pid}/net/tcp") as table:
        for row in table.read().splitlines()[1:]:
            fields = row.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.split(":")[1], 16) == redis_port:
                ip, port = local.split(":")
                addrs.add(f"{socket.inet_ntoa(int(ip, 16).to_bytes(4, 'little'))}:{int(port, 16)}")
    return addrs


def drop_sio_transport(client: SioClient) -> None:
    """Cuts the Socket.IO client's TCP connection (RST) without a Socket.IO DISCONNECT: a network loss, which the
    gateway must treat as recoverable (an explicit disconnect ends the session)."""
    ws = client.sio.eio.ws
    assert ws is not None and ws._conn is not None and ws._conn.transport is not None, "no websocket transport"
    ws._conn.transport.abort()


async def wait_disconnected(client: SioClient, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while client.disconnects == 0:
        assert time.monotonic() < deadline, f"Socket.IO client not disconnected within {timeout}s"
        await asyncio.sleep(0.02)


@pytest.fixture(autouse=True)
def history_exists(stack: Stack) -> None:
    """One event of another run when nothing was ever published, so that positions exist (an empty history is
    test_position_on_an_empty_history_is_an_id_usable_as_since's subject, on its own Redis)."""
    r = stack.redis()
    try:
        if r.hget("cd:hist:clock", "epoch") is None:
            body = json.dumps({"type": WHALE_EVENT, "data": {"run": "warm-up", "token": "BTC", "amountUSD": 1},
                               "timestamp": int(time.time() * 1000)})
            r.eval(publish_script(), 0, body, 2000, 300_000, WHALE_CHANNEL)
    finally:
        r.close()


@pytest.fixture(scope="module")
def gateway_b(stack: Stack) -> Any:
    """A second gateway on the same Redis (high connection limits), the survivor of the fault tests."""
    proc, port = stack.start_gateway("gateway-b", HIGH_LIMITS)
    yield port
    proc.stop(5)


# ---- ids and plain resume ---------------------------------------------------------------------------------------------

async def test_plain_resume_replays_exactly_the_missed_events_then_live(stack: Stack) -> None:
    pub = Publisher(stack)
    try:
        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("whale_activity")
            assert reply["type"] == "subscription_confirmed", reply
            assert_position(reply["data"])
            seen = await pub.burst(3)
            got = await run_events(client, pub.run, 3)
            assert [m["id"] for m in got] == seen, (got, seen)
            assert [m["data"]["n"] for m in got] == [0, 1, 2]
            keys = [parse_id(i) for i in seen]
            assert len({k[0] for k in keys}) == 1 and sorted(keys) == keys and len(set(keys)) == 3, \
                f"ids are not increasing within one epoch: {seen}"
        finally:
            await client.close()

        missed = await pub.burst(5)
        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("whale_activity", {"since": seen[-1]})
            assert reply["type"] == "subscription_confirmed", reply
            data = reply["data"]
            assert data.get("recovered") is True and data.get("replayed") == 5, f"resume confirmation: {data}"
            assert_position(data, missed[-1])
            got = await run_events(client, pub.run, 5)
            assert [m["id"] for m in got] == missed, f"replayed {[m['id'] for m in got]}, missed {missed}"
            live = await pub.burst(2)
            got = await run_events(client, pub.run, 2)
            assert [m["id"] for m in got] == live
            await no_run_events(client, pub.run, 0.3)
        finally:
            await client.close()
    finally:
        await pub.close()


async def test_plain_resume_from_the_confirmation_position_before_any_event(stack: Stack) -> None:
    pub = Publisher(stack)
    try:
        client = await ws_session(stack.ws_url)
        reply = await client.subscribe("whale_activity")
        await client.close()
        position = reply["data"].get("position")
        assert_position(reply["data"])
        missed = await pub.burst(3)
        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("whale_activity", {"since": position})
            assert reply["data"].get("recovered") is True and reply["data"].get("replayed") == 3, reply
            got = await run_events(client, pub.run, 3)
            assert [m["id"] for m in got] == missed
            await no_run_events(client, pub.run, 0.3)
        finally:
            await client.close()
    finally:
        await pub.close()


@pytest.mark.timeout(40)
async def test_plain_resume_seam_under_a_steady_publisher(stack: Stack) -> None:
    """Four disconnect/resume cycles while 200 events/s are published: no duplicate and no gap at any seam."""
    pub = Publisher(stack)
    sub = PlainSubscriber(pub.run)
    try:
        await sub.connect(stack.ws_url)
        publishing = asyncio.create_task(pub.steady(200, 3.0))
        for pause in (0.05, 0.2, 0.0, 0.4):
            await asyncio.sleep(0.3)
            await sub.close()
            await asyncio.sleep(pause)
            data = await sub.connect(stack.ws_url)
            assert data.get("recovered") is True, f"resume {len(sub.confirmations) - 1}: {data}"
        await publishing
        deadline = time.monotonic() + 5
        while len(sub.ids) < len(pub.ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        problem = check_exactly_once("subscriber", sub.ids, pub.ids)
        assert problem is None, problem
        assert not sub.errors, sub.errors
    finally:
        await sub.close()
        await pub.close()


# ---- resume that cannot recover ------------------------------------------------------------------------------------------

async def test_resume_after_trimmed_history_is_not_recovered_gap(stack: Stack) -> None:
    pub = Publisher(stack)
    r = stack.redis()
    try:
        client = await ws_session(stack.ws_url)
        await client.subscribe("whale_activity")
        await pub.burst(1)
        since = (await run_events(client, pub.run, 1))[0]["id"]
        await client.close()
        # MAXLEN ~ trims whole stream nodes (100 entries by default): 300 appends with maxlen 1 drop the first ones.
        await pub.burst(300, maxlen=1)
        _, ms, seq = parse_id(since)
        first_left = r.xrange(f"cd:hist:{WHALE_CHANNEL}", "-", "+", count=1)
        assert first_left and first_left[0][0] != f"{ms}-{seq + 1}" and r.xlen(f"cd:hist:{WHALE_CHANNEL}") < 300, \
            f"precondition: the history should have been trimmed past {since}: first entry {first_left[:1]}"

        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("whale_activity", {"since": since})
            assert reply["type"] == "subscription_confirmed", reply
            data = reply["data"]
            assert data.get("recovered") is False and data.get("reason") == "gap", f"resume past a trim: {data}"
            assert_position(data, pub.ids[-1])
            await no_run_events(client, pub.run, 0.5)  # nothing replayed: a partial replay would hide the gap
            live = await pub.burst(1)
            assert [m["id"] for m in await run_events(client, pub.run, 1)] == live, "no live events after recovered:false"
        finally:
            await client.close()
    finally:
        r.close()
        await pub.close()


async def test_resume_with_another_epoch_is_not_recovered_epoch(stack: Stack) -> None:
    pub = Publisher(stack)
    try:
        await pub.burst(1)
        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("whale_activity", {"since": "zzzz9:1000-1"})
            assert reply["type"] == "subscription_confirmed", reply
            data = reply["data"]
            assert data.get("recovered") is False and data.get("reason") == "epoch", f"resume from another epoch: {data}"
            assert_position(data, pub.ids[-1])
            await no_run_events(client, pub.run, 0.3)
            live = await pub.burst(1)
            assert [m["id"] for m in await run_events(client, pub.run, 1)] == live
        finally:
            await client.close()
    finally:
        await pub.close()


async def test_resume_over_the_replay_limit_is_not_recovered_limit(stack: Stack) -> None:
    proc, port = stack.start_gateway("gateway-replay-3", {"GATEWAY_MAX_REPLAY": "3"})
    pub = Publisher(stack)
    try:
        url = f"ws://127.0.0.1:{port}/ws"
        client = await ws_session(url)
        reply = await client.subscribe("whale_activity")
        since = reply["data"]["position"]
        await client.close()
        await pub.burst(4)
        client = await ws_session(url)
        try:
            data = (await client.subscribe("whale_activity", {"since": since}))["data"]
            assert data.get("recovered") is False and data.get("reason") == "limit", f"4 missed, limit 3: {data}"
            await no_run_events(client, pub.run, 0.3)
        finally:
            await client.close()
        # exactly at the limit: recovered
        client = await ws_session(url)
        try:
            data = (await client.subscribe("whale_activity", {"since": pub.ids[0]}))["data"]
            assert data.get("recovered") is True and data.get("replayed") == 3, f"3 missed, limit 3: {data}"
            assert [m["id"] for m in await run_events(client, pub.run, 3)] == pub.ids[1:]
        finally:
            await client.close()
    finally:
        await pub.close()
        proc.stop(5)


# ICP: built in, and neither a producer nor another test gives it sentiment, so its latest value and the events on
# its channel are only what the snapshot test publishes.
SNAPSHOT_TOKEN = "ICP"


@pytest.mark.parametrize("case", ["epoch", "gap", "recovered"])
async def test_resume_not_recovered_gets_the_latest_sentiment_as_a_snapshot_without_id(stack: Stack, case: str) -> None:
    """docs/delivery.md: a resume that cannot recover gets ``recovered: false`` and then a fresh snapshot (the latest
    sentiment of the tokens). Readings of one token are published as the sentiment producer does (latest key, then the
    history script); a ``subscribe_market_sentiment`` with a ``since`` of another epoch (``epoch``) or trimmed away
    (``gap``) gets the confirmation with ``recovered: false`` and that reason, then a ``market_sentiment_update``
    carrying the latest reading's data and no ``id`` (it is not an event of the history), and no replay of older
    readings; live updates follow with their ids. Control (``recovered``): a resume from the last id is
    ``recovered: true`` with nothing replayed, and gets no snapshot (it missed nothing)."""
    token = SNAPSHOT_TOKEN
    r = stack.redis()
    script = publish_script()
    try:
        first = await asyncio.to_thread(publish_sentiment, r, sentiment_data(token, 0.25), script)
        if case == "gap":
            # MAXLEN ~ trims whole stream nodes (100 entries by default): 300 appends with maxlen 1 drop `first`.
            for n in range(300):
                reading = sentiment_data(token, round(0.25 + n / 1000, 3))
                await asyncio.to_thread(publish_sentiment, r, reading, script, 1)
            _, ms, seq = parse_id(first)
            stream = f"cd:hist:{sentiment_channel(token)}"
            left = r.xrange(stream, "-", "+", count=1)
            assert left and left[0][0] != f"{ms}-{seq}" and r.xlen(stream) < 300, \
                f"precondition: the history of {token} should have been trimmed past {first}: first entry {left[:1]}"
        latest = sentiment_data(token, 0.625)
        last = await asyncio.to_thread(publish_sentiment, r, latest, script)
        assert json.loads(r.get(latest_sentiment_key(token))) == latest, "precondition: the latest key"
        since = {"epoch": "zzzz9:1000-1", "gap": first, "recovered": last}[case]

        client = await ws_session(stack.ws_url)
        try:
            reply = await client.subscribe("market_sentiment", {"tokens": [token], "since": since})
            assert reply["type"] == "subscription_confirmed", reply
            data = reply["data"]
            assert_position(data, last)
            confirmed_at = len(client.received)
            if case == "recovered":
                assert data.get("recovered") is True and data.get("replayed") == 0, f"resume from the last id: {data}"
                got = [m for m in await client.collect(1.0) if m["type"] == SENTIMENT_EVENT]
                assert not got, f"a resume that missed nothing got {got}"
            else:
                assert data.get("recovered") is False and data.get("reason") == case, \
                    f"resume of {token} with since={since} ({case}): {data}"
                snapshot = await client.event(SENTIMENT_EVENT, 5, lambda d: d.get("token") == token,
                                              what=f"the {token} snapshot after recovered: false")
                assert client.received.index(snapshot) >= confirmed_at, "the snapshot came before the confirmation"
                assert "id" not in snapshot, \
                    f"the snapshot carries an id, as if it were an event of the history: {snapshot}"
                assert snapshot["data"] == latest, f"the snapshot is not the latest reading {latest}: {snapshot}"
                more = [m for m in await client.collect(1.0) if m["type"] == SENTIMENT_EVENT]
                assert not more, f"more than the snapshot after recovered: false (a replay would hide the loss): {more}"
            live = sentiment_data(token, 0.5)
            live_id = await asyncio.to_thread(publish_sentiment, r, live, script)
            msg = await client.event(SENTIMENT_EVENT, 5, lambda d: d.get("token") == token, what="the live update")
            assert msg.get("id") == live_id and msg["data"] == live, f"live update {live_id}: {msg}"
        finally:
            await client.close()
    finally:
        r.close()


@pytest.mark.parametrize("since", [
    "nonsense", "abc:12", "abc:1-", "abc:-1", ":1-2", "ABC:1-2", "ab_c:1-2", "abc:1-2-3", "abc:1.5-2", "a" * 33 + ":1-2",
    "abc:99999999999999999999999-1", 12345, True, ["abc:1-2"], {"id": "abc:1-2"},
])
async def test_malformed_since_is_subscription_failed(stack: Stack, since: Any) -> None:
    pub = Publisher(stack)
    client = await ws_session(stack.ws_url)
    try:
        reply = await client.subscribe("whale_activity", {"since": since})
        assert reply["type"] == "error" and reply["error"]["code"] == "SUBSCRIPTION_FAILED", \
            f"since={since!r}: {reply}"
        await pub.burst(1)
        await no_run_events(client, pub.run, 0.3)  # not subscribed
    finally:
        await client.close()
        await pub.close()


# ---- Socket.IO connection state recovery -------------------------------------------------------------------------------

async def test_socketio_events_carry_their_id_as_last_argument_and_auth_success_a_pid(stack: Stack) -> None:
    pub = Publisher(stack)
    sub = SioSubscriber(pub.run)
    plain = SioClient()
    try:
        pid = await sub.connect(stack.gateway_http)
        assert isinstance(pid, str) and pid, f"auth_success without pid: {sub.pids}"
        # "offsets": false: one argument per event, as before recovery existed
        await plain.connect(stack.gateway_http, auth={"token": hs256_token("dlv-no-offsets"), "offsets": False},
                            transports=["websocket"])
        await plain.call("subscribe_whale_activity", {})
        await pub.burst(2)
        deadline = time.monotonic() + 5
        while len(sub.received()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sub.ids == pub.ids, f"offsets {sub.ids} for ids {pub.ids}; errors {sub.errors}"
        events = [await plain.event(WHALE_EVENT, 0, where=lambda d: d.get("n") == n) for n in (0, 1)]
        assert all("id" not in e for e in events), events
        raw = [args for event, args in plain.events if event == WHALE_EVENT]
        assert not plain.offsets and all(len(a) == 1 for a in raw), f"offsets: false still sends offsets: {raw}"
    finally:
        await sub.close()
        await plain.close()
        await pub.close()


@pytest.mark.parametrize("where", ["same-gateway", "other-gateway"])
async def test_socketio_recovery_replays_the_missed_events(stack: Stack, gateway_b: int, where: str) -> None:
    pub = Publisher(stack)
    sub = SioSubscriber(pub.run)
    try:
        pid = await sub.connect(stack.gateway_http)
        first = await pub.burst(2)
        deadline = time.monotonic() + 5
        while len(sub.received()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sub.ids == first
        assert sub.client is not None
        drop_sio_transport(sub.client)
        await wait_disconnected(sub.client)
        await sub.close()
        missed = await pub.burst(3)

        url = stack.gateway_http if where == "same-gateway" else f"http://127.0.0.1:{gateway_b}"
        new_pid = await sub.connect(url, subscribe=False)
        assert new_pid == pid, f"not recovered: auth_success pid {new_pid}, was {pid} (offset {sub.offset})"
        live: list[str] = []
        deadline = time.monotonic() + 5
        while len(sub.received()) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sub.ids == first + missed, f"after recovery: {sub.ids}, published {pub.ids}"
        live = await pub.burst(2)  # the restored subscription delivers live events
        deadline = time.monotonic() + 5
        while len(sub.received()) < 7 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert sub.received() == first + missed + live, f"received {sub.ids}, published {pub.ids}"
        assert not sub.errors, sub.errors
        confirmations = [e for e, _ in (sub.client.events if sub.client else []) if e == "subscription_confirmed"]
        assert not confirmations, "a recovered session must not need (or get) a new subscription"
    finally:
        await sub.close()
        await pub.close()


@pytest.mark.parametrize("case", ["other-user", "explicit-disconnect", "unknown-pid"])
async def test_socketio_not_recovered_gets_a_new_pid_and_no_subscriptions(stack: Stack, case: str) -> None:
    pub = Publisher(stack)
    sub = SioSubscriber(pub.run)
    try:
        pid = await sub.connect(stack.gateway_http)
        await pub.burst(1)
        deadline = time.monotonic() + 5
        while len(sub.received()) < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sub.client is not None
        if case == "explicit-disconnect":
            # socket.io-client's socket.disconnect(): a DISCONNECT packet, then the transport closes. (python-socketio
            # 5.11 queues its DISCONNECT and closes the websocket at once, so the packet is often never sent.)
            assert sub.client.sio.eio.ws is not None
            await sub.client.sio.eio.ws.send_str("41")
            await asyncio.sleep(0.2)
            await sub.close()
        else:
            drop_sio_transport(sub.client)
            await wait_disconnected(sub.client)
            await sub.close()
        await pub.burst(2)
        if case == "other-user":
            sub.sub = f"intruder-{os.urandom(3).hex()}"
        if case == "unknown-pid":
            sub.pid = "nosuchpid" + os.urandom(8).hex()
        new_pid = await sub.connect(stack.gateway_http, subscribe=False)
        assert isinstance(new_pid, str) and new_pid and new_pid != pid, f"{case}: pid {new_pid} (was {pid}): recovered"
        await pub.burst(1)
        await asyncio.sleep(0.5)
        before = len(sub.ids)
        assert len(sub.received()) == before, f"{case}: events delivered without a subscription: {sub.ids[before:]}"
    finally:
        await sub.close()
        await pub.close()


async def test_socketio_recovery_with_fewer_roles_is_not_recovered(stack: Stack) -> None:
    """Bad input: a socket subscribed to ``moderation_queue`` (as a moderator) and ``whale_activity`` loses its
    connection and recovers its pid with a token of the same user without the moderator role. Gets: not recovered
    (a new pid), never a "recovered" socket that silently lost one of its subscriptions; subscribing to
    ``moderation_queue`` again is then refused as forbidden, whale activity can be subscribed as usual."""
    pub = Publisher(stack)
    sub = SioSubscriber(pub.run)
    sub.roles = ("user", "moderator")
    try:
        pid = await sub.connect(stack.gateway_http)
        assert sub.client is not None
        reply = await sub.client.call("subscribe_moderation_queue", {}, timeout=5)
        assert reply.get("type") == "subscription_confirmed", reply
        drop_sio_transport(sub.client)
        await wait_disconnected(sub.client)
        await sub.close()
        sub.roles = ("user",)
        new_pid = await sub.connect(stack.gateway_http, subscribe=False)
        assert isinstance(new_pid, str) and new_pid != pid, f"recovered ({new_pid}) with fewer roles"
        assert sub.client is not None
        refused = await sub.client.call("subscribe_moderation_queue", {}, timeout=5)
        assert refused.get("type") == "error" and refused["error"]["code"] == "SUBSCRIPTION_FAILED" \
            and "forbidden" in refused["error"]["message"], refused
        again = await sub.client.call("subscribe_whale_activity", {}, timeout=5)
        assert again.get("type") == "subscription_confirmed", again
    finally:
        await sub.close()
        await pub.close()


# ---- an empty history ---------------------------------------------------------------------------------------------------

async def test_socketio_a_stale_socket_cannot_overwrite_the_state_of_the_socket_that_recovered_its_pid(
        stack: Stack, gateway_b: int) -> None:
    """A client's connection goes silent (half-open: no close, no pong) while its socket on gateway A still lives;
    the client recovers its pid on gateway B and subscribes to more. When A finally times the old socket out, the
    old socket must not write its (older) state over the new socket's: the pid belongs to the socket that recovered
    it. Checked: the old socket is still open on A once B's state is in Redis (so A's timeout really comes after the
    recovery); after A timed it out, A's write for it was refused (its debug log says so) and Redis still holds the
    new socket's two subscriptions; recovering once more brings both subscriptions back."""
    # A times a silent socket out about 4 s after it opened (first ping at 2 s, 2 s to answer): time enough to
    # recover on B first, even on a loaded machine.
    proc, port = stack.start_gateway("gateway-stale-pid", {"ENGINEIO_PING_INTERVAL_MS": "2000",
                                                           "ENGINEIO_PING_TIMEOUT_MS": "2000"})
    user = f"stale-{os.urandom(4).hex()}"
    token = hs256_token(user)
    pub = Publisher(stack)
    sub = SioSubscriber(pub.run, sub=user)
    r = stack.redis()
    try:
        # The old socket: a raw Engine.IO client on A that stops answering pings once subscribed.
        old = await ws_connect(f"ws://127.0.0.1:{port}/ws/?EIO=4&transport=websocket", open_timeout=5)
        frames: list[str] = []

        async def frame(prefix: str) -> str:
            while True:
                text = await asyncio.wait_for(old.recv(), 5)
                frames.append(text)
                if text.startswith(prefix):
                    return text
        handshake = json.loads((await frame("0"))[1:])
        assert (handshake.get("pingInterval"), handshake.get("pingTimeout")) == (2000, 2000), \
            f"gateway A's Engine.IO heartbeat is not the one this test needs: {handshake}"
        await old.send("40" + json.dumps({"token": token}))
        pid = json.loads((await frame("40"))[2:])["pid"]
        await old.send('421["subscribe_whale_activity",{}]')
        assert "subscription_confirmed" in await frame("431"), frames

        # The client recovers the pid on B (A still holds the old socket) and subscribes to sentiment too.
        sub.pid = pid
        assert await sub.connect(f"http://127.0.0.1:{gateway_b}", subscribe=False) == pid, "not recovered on B"
        assert sub.client is not None
        reply = await sub.client.call("subscribe_market_sentiment", {"tokens": ["BTC"]}, timeout=5)
        assert reply.get("type") == "subscription_confirmed", reply

        def kept() -> list[str]:
            raw = r.get(f"cd:sio:pid:{pid}")
            state = json.loads(raw) if raw else {}
            return sorted(s.get("type", s.get("kind", "?")) if isinstance(s, dict) else "?" for s in state.get("subs", []))

        deadline = time.monotonic() + 5
        while len(kept()) != 2:
            assert time.monotonic() < deadline, f"the new socket's state (two subscriptions) not in Redis: {kept()}"
            await asyncio.sleep(0.02)
        # The old socket has not been timed out yet: A's last write for it is still to come (otherwise this test
        # would pass without ever exercising the owner check).
        await asyncio.sleep(0)  # let the client handle anything A sent meanwhile
        assert old.state is State.OPEN and metric(port, "coindaily_gateway_connections") == 1, \
            f"gateway A closed the old socket before the recovery on B was in Redis (client side {old.state.name}, " \
            f"connections on A {metric(port, 'coindaily_gateway_connections')}): raise A's ping interval"

        # A times the silent socket out (ping 2000 ms + timeout 2000 ms); its last state write comes then: refused
        # (A logs it at debug level) — or, without the owner check, written over the new socket's state.
        try:
            while True:
                await asyncio.wait_for(old.recv(), 5)  # pings, unanswered
        except ConnectionClosed:
            pass

        def refused() -> bool:
            return any("recovered by another socket" in line and pid in line for line in proc.log_text().splitlines())
        deadline = time.monotonic() + 5
        while len(kept()) == 2 and not refused() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(kept()) == 2, f"the timed-out old socket overwrote the recovered state: {r.get(f'cd:sio:pid:{pid}')}"
        if LOG_LEVEL == "debug":
            assert refused(), "gateway A never tried to write the old socket's state when it timed it out (no " \
                              "'socket.io pid recovered by another socket' line): the owner check was not exercised"

        # Recover once more: both subscriptions are restored (events of the whale run still arrive).
        drop_sio_transport(sub.client)
        await wait_disconnected(sub.client)
        await sub.close()
        assert await sub.connect(stack.gateway_http, subscribe=False) == pid, "second recovery failed"
        ids = await pub.burst(2)
        deadline = time.monotonic() + 5
        while len(sub.received()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sub.received() == ids, f"after the second recovery: {sub.ids}, published {ids}"
        assert len(kept()) == 2
    finally:
        r.close()
        await sub.close()
        await pub.close()
        proc.stop(5)


async def test_position_on_an_empty_history_is_an_id_usable_as_since(stack: Stack) -> None:
    """A gateway on a Redis where nothing was ever published (a fresh deployment, or the first subscription after
    Redis lost its data): the confirmation's position must still be the client's starting point."""
    redis_proc, redis_port = stack.start_private_redis("redis-empty")
    gateway: Proc | None = None
    pub = Publisher(stack, redis_port=redis_port)
    try:
        await asyncio.to_thread(wait_until, "redis-empty", lambda: redis_ping(redis_port), 20, [redis_proc])
        gateway, port = stack.start_gateway("gateway-empty-history", redis_port=redis_port)
        url = f"ws://127.0.0.1:{port}/ws"
        client = await ws_session(url)
        reply = await client.subscribe("whale_activity")
        await client.close()
        assert reply["type"] == "subscription_confirmed", reply
        position = reply["data"].get("position")
        missed = await pub.burst(2)
        client = await ws_session(url)
        try:
            resumed = await client.subscribe("whale_activity", {"since": position})
            assert resumed["type"] == "subscription_confirmed" and resumed["data"].get("recovered") is True, \
                f"subscribe without since on an empty history confirmed {reply['data']}; subscribing again with " \
                f"since = that position after 2 events were published answered {resumed}"
            assert [m["id"] for m in await run_events(client, pub.run, 2)] == missed
        finally:
            await client.close()
        assert_position(reply["data"])
    finally:
        await pub.close()
        if gateway is not None:
            gateway.stop(5)
        redis_proc.stop(5)


# ---- the fault tests (the "Done when") ----------------------------------------------------------------------------

PLAIN_SUBSCRIBERS = 150
SIO_SUBSCRIBERS = 50
RATE = 60  # events per second
SECONDS = 4.0


async def _gather_limited(coros: list, limit: int = 40) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Any) -> Any:
        async with semaphore:
            return await coro

    return await asyncio.gather(*(run(c) for c in coros))


async def _failover(stack: Stack, gateway_b: int, how: str) -> None:
    """Subscribers split over gateway A (started here) and B; A dies (SIGKILL) or drains (SIGTERM) mid-stream; A's
    subscribers resume on B; every subscriber must end with every published event exactly once, in order."""
    a_proc, a_port = stack.start_gateway(f"gateway-a-{how}", HIGH_LIMITS)
    a_http, b_http = f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{gateway_b}"
    a_ws, b_ws = f"ws://127.0.0.1:{a_port}/ws", f"ws://127.0.0.1:{gateway_b}/ws"
    pub = Publisher(stack)
    plains = [PlainSubscriber(pub.run) for _ in range(PLAIN_SUBSCRIBERS)]
    sios = [SioSubscriber(pub.run) for _ in range(SIO_SUBSCRIBERS)]
    on_a_plain = plains[: PLAIN_SUBSCRIBERS // 2]
    on_a_sio = sios[: SIO_SUBSCRIBERS // 2]
    resumes: list[asyncio.Task] = []
    try:
        await _gather_limited([s.connect(a_ws if s in on_a_plain else b_ws) for s in plains]
                              + [s.connect(a_http if s in on_a_sio else b_http) for s in sios])
        first_pids = {id(s): s.pid for s in on_a_sio}

        async def resume_plain(s: PlainSubscriber) -> None:
            await s.closed.wait()
            await s.connect(b_ws)

        async def resume_sio(s: SioSubscriber) -> None:
            assert s.client is not None
            while s.client.disconnects == 0:
                await asyncio.sleep(0.02)
            await s.close()
            await s.connect(b_http, subscribe=False)

        resumes = [asyncio.create_task(resume_plain(s)) for s in on_a_plain] + \
                  [asyncio.create_task(resume_sio(s)) for s in on_a_sio]
        publishing = asyncio.create_task(pub.steady(RATE, SECONDS))
        await asyncio.sleep(SECONDS * 0.4)
        killed_after = len(pub.ids)
        a_proc.signal(signal.SIGKILL if how == "sigkill" else signal.SIGTERM)
        await publishing
        done, pending = await asyncio.wait(resumes, timeout=15)
        assert not pending, f"{len(pending)} subscribers of gateway A did not resume on B within 15 s"
        for task in done:
            task.result()
        expected = pub.ids
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(len(s.ids) >= len(expected) for s in plains) and all(len(s.received()) >= len(expected) for s in sios):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # duplicates after the last event would show now

        problems = [p for p in (check_exactly_once(f"plain {i} ({'A' if s in on_a_plain else 'B'})", s.ids, expected)
                                for i, s in enumerate(plains)) if p]
        problems += [p for p in (check_exactly_once(f"sio {i} ({'A' if s in on_a_sio else 'B'})", s.received(), expected)
                                 for i, s in enumerate(sios)) if p]
        not_recovered = [c for s in on_a_plain for c in s.confirmations[1:] if c.get("recovered") is not True]
        new_pids = [s.pids for s in on_a_sio if s.pids[-1] != first_pids[id(s)]]
        errors = [e for s in [*plains, *sios] for e in s.errors]
        summary = (f"{how}: {len(expected)} events published ({killed_after} before the signal), "
                   f"{len(problems)} of {len(plains) + len(sios)} subscribers wrong")
        assert not problems, summary + ":\n" + "\n".join(problems[:20])
        # the scenario happened: events before and after the signal, A's subscribers got some from A and resumed once
        assert killed_after >= RATE * SECONDS * 0.2 and len(expected) - killed_after >= RATE * SECONDS * 0.2, summary
        moved = [s for s in [*on_a_plain, *on_a_sio] if len(s.marks) == 2 and 0 < s.marks[1] < len(expected)]
        assert len(moved) == len(on_a_plain) + len(on_a_sio), \
            f"{summary}; A's subscribers (events before their resume): {[s.marks for s in [*on_a_plain, *on_a_sio]][:10]}"
        assert not not_recovered, f"{summary}; plain resumes not recovered: {not_recovered[:5]}"
        assert not new_pids, f"{summary}; Socket.IO sessions not recovered (new pid): {new_pids[:5]}"
        assert not errors, errors[:5]
        if how == "sigterm":
            codes = sorted({c for s in on_a_plain for c in s.close_codes})
            assert codes == [1001], f"close codes of a draining gateway: {codes}"
            status = await asyncio.to_thread(a_proc.wait, 15)
            assert status == 0, f"gateway A exit status after SIGTERM: {status}"
    finally:
        for task in resumes:
            task.cancel()
        await _gather_limited([s.close() for s in plains] + [s.close() for s in sios])
        await pub.close()
        a_proc.stop(5)


@pytest.mark.timeout(90)
async def test_fault_gateway_sigkill_subscribers_resume_on_the_other_gateway(stack: Stack, gateway_b: int) -> None:
    await _failover(stack, gateway_b, "sigkill")


@pytest.mark.timeout(90)
async def test_fault_gateway_sigterm_drain_subscribers_resume_on_the_other_gateway(stack: Stack, gateway_b: int) -> None:
    await _failover(stack, gateway_b, "sigterm")


async def _stalled_plain(port: int, user: str) -> tuple[Any, str]:
    """A plain subscriber that reads nothing after its confirmation (4 KiB receive buffer, websockets' queue of
    one): the socket and the confirmation's position."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    ws = await ws_connect(f"ws://127.0.0.1:{port}/ws", sock=sock, max_queue=1, max_size=None, ping_interval=None,
                          compression=None, open_timeout=10, close_timeout=3)
    client = Client(ws)
    assert (await client.auth(hs256_token(user)))["type"] == "auth_success"
    reply = await client.subscribe("whale_activity")
    assert reply["type"] == "subscription_confirmed", reply
    return ws, reply["data"]["position"]


async def _stalled_sio(port: int, user: str) -> tuple[Any, str]:
    """A Socket.IO socket (raw Engine.IO WebSocket) that reads nothing after its subscription: the socket and its pid."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    ws = await ws_connect(f"ws://127.0.0.1:{port}/ws/?EIO=4&transport=websocket", sock=sock, max_queue=1,
                          max_size=None, ping_interval=None, compression=None, open_timeout=10, close_timeout=3)
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")
    await ws.send("40" + json.dumps({"token": hs256_token(user)}))
    accepted = await asyncio.wait_for(ws.recv(), 5)
    assert accepted.startswith("40{"), accepted
    await ws.send('421["subscribe_whale_activity",{}]')
    deadline = time.monotonic() + 5
    while not (frame := await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))).startswith("431"):
        pass
    assert "subscription_confirmed" in frame, frame
    return ws, json.loads(accepted[2:])["pid"]


async def _publish_until_cut(pub: Publisher, port: int, cuts: int, max_events: int, burst: int = 20,
                             pause: float = 0.1) -> None:
    """Publishes bursts until the gateway's slow-consumer counter grew by ``cuts`` (or ``max_events`` were sent)."""
    before = metric(port, "coindaily_gateway_slow_consumer_disconnects_total")
    now = before
    while len(pub.ids) < max_events and now < before + cuts:
        await pub.burst(burst)
        await asyncio.sleep(pause)
        now = await asyncio.to_thread(metric, port, "coindaily_gateway_slow_consumer_disconnects_total")
    assert now == before + cuts, f"slow consumers cut off: {now - before} of {cuts} after {len(pub.ids)} events"


@pytest.mark.timeout(60)
async def test_fault_slow_consumer_is_cut_off_and_resumes_with_everything(stack: Stack) -> None:
    """A client that stops reading on a gateway with a 64 KiB outbound limit is closed (3008, or cut off at the TCP
    level when not even the close frame gets through: docs/protocol.md) while a reading client on the same gateway
    is not; the slow one reconnects with since = the last id it read and ends with every event exactly once."""
    limit = 65536
    proc, port = stack.start_gateway("gateway-slow", {"GATEWAY_MAX_OUTBOUND_BYTES": str(limit)})
    url = f"ws://127.0.0.1:{port}/ws"
    pub = Publisher(stack, pad=16 * 1024)
    fast = PlainSubscriber(pub.run)
    ws = None
    try:
        ws, since = await _stalled_plain(port, "dlv-slow")
        await fast.connect(url)
        # publish big events (200/s) until the gateway gives up on the slow client (or 1000 events: 16 MiB)
        await _publish_until_cut(pub, port, 1, 1000)
        await pub.burst(10)  # after the cut

        # the slow client reads what reached it, then the end of the connection
        got: list[str] = []
        code: int | None = None
        try:
            while True:
                raw = await asyncio.wait_for(ws.recv(), 5)
                msg = json.loads(raw)
                if msg.get("type") == WHALE_EVENT and msg["data"].get("run") == pub.run:
                    got.append(msg["id"])
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
        assert code in (3008, None), f"slow consumer close code {code} (expected 3008, or no close frame)"
        assert got == pub.ids[: len(got)], f"before the cut: {len(got)} events, not a prefix of the published ones"

        # resume: everything after the last event read, then live
        resumed = PlainSubscriber(pub.run, sub="dlv-slow")
        resumed.ids = list(got)
        resumed.since = got[-1] if got else since
        data = await resumed.connect(url)
        assert data.get("recovered") is True, f"resume of the slow consumer: {data}"
        await pub.burst(5)
        deadline = time.monotonic() + 10
        while len(resumed.ids) < len(pub.ids) and not resumed.closed.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        problem = check_exactly_once("resumed slow consumer", resumed.ids, pub.ids)
        assert problem is None and not resumed.close_codes, \
            f"{problem}; replayed {data.get('replayed')} events of 16 KiB with a {limit} B outbound limit; " \
            f"closed: {resumed.close_codes}"
        await resumed.close()

        # the reading client on the same gateway was never cut off and has everything
        deadline = time.monotonic() + 10
        while len(fast.ids) < len(pub.ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not fast.close_codes, f"the reading client was closed: {fast.close_codes}"
        problem = check_exactly_once("reading client", fast.ids, pub.ids)
        assert problem is None, problem
    finally:
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 3)
            except Exception:  # noqa: BLE001
                pass
        await fast.close()
        await pub.close()
        proc.stop(5)


@pytest.mark.timeout(90)
async def test_fault_slow_consumers_among_many_subscribers_lose_nothing_and_only_the_stalled_are_cut_off(
        stack: Stack) -> None:
    """The fault test's crowd with slow consumers instead of a dead gateway: 150 plain and 50 Socket.IO subscribers
    reading, plus one plain and one Socket.IO subscriber that stop reading, on one gateway (64 KiB outbound limit,
    1 s grace) under a steady publisher of 8 KiB events. Both stalled ones are cut off (slow-consumer counter +2),
    no reading one is; the stalled ones come back through the other gateway (the stack's: ``since`` / pid recovery)
    and every subscriber — readers and the two cut off — ends with every event exactly once, in order. (Latency is
    not checked here: that no reader is delayed is measured by ``make bench BENCH_SLOW=…``, docs/performance.md.)"""
    env = dict(HIGH_LIMITS, GATEWAY_MAX_OUTBOUND_BYTES="65536", GATEWAY_SLOW_CONSUMER_GRACE_MS="1000")
    proc, port = stack.start_gateway("gateway-slow-crowd", env)
    ws_url, http_url = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    pub = Publisher(stack, pad=8 * 1024)
    plains = [PlainSubscriber(pub.run) for _ in range(150)]
    sios = [SioSubscriber(pub.run) for _ in range(50)]
    stalled: list[Any] = []
    plain_user, sio_user = f"dlv-stall-{os.urandom(3).hex()}", f"dlv-stall-sio-{os.urandom(3).hex()}"
    try:
        await _gather_limited([s.connect(ws_url) for s in plains] + [s.connect(http_url) for s in sios])
        ws_plain, since = await _stalled_plain(port, plain_user)
        ws_sio, pid = await _stalled_sio(port, sio_user)
        stalled = [ws_plain, ws_sio]
        await _publish_until_cut(pub, port, 2, 1500, burst=10, pause=0.05)
        await pub.burst(20)  # after the cuts
        for ws in stalled:
            ws.transport.abort()
        stalled = []

        back_plain = PlainSubscriber(pub.run, sub=plain_user)
        back_plain.since = since  # it read nothing: everything since its subscription
        data = await back_plain.connect(stack.ws_url)
        assert data.get("recovered") is True, data
        back_sio = SioSubscriber(pub.run, sub=sio_user)
        back_sio.pid = pid
        assert await back_sio.connect(stack.gateway_http, subscribe=False) == pid, \
            "the cut-off Socket.IO socket did not recover on the other gateway"
        await pub.burst(10)
        expected = pub.ids
        readers_plain, readers_sio = [*plains, back_plain], [*sios, back_sio]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(len(s.ids) >= len(expected) for s in readers_plain) and \
                    all(len(s.received()) >= len(expected) for s in readers_sio):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        problems = [p for p in (check_exactly_once(f"plain {i}", s.ids, expected)
                                for i, s in enumerate(readers_plain)) if p]
        problems += [p for p in (check_exactly_once(f"sio {i}", s.received(), expected)
                                 for i, s in enumerate(readers_sio)) if p]
        assert not problems, f"{len(expected)} events; " + "\n".join(problems[:10])
        closed = [s.close_codes for s in plains if s.close_codes]
        closed += [s.pids for s in sios if s.client is None or s.client.disconnects]
        assert not closed, f"reading subscribers were closed: {closed[:5]}"
        await back_plain.close()
        await back_sio.close()
    finally:
        for ws in stalled:
            ws.transport.abort()
        await _gather_limited([s.close() for s in plains] + [s.close() for s in sios])
        await pub.close()
        proc.stop(5)


async def test_resume_replay_larger_than_the_outbound_limit_reaches_a_reading_client(stack: Stack) -> None:
    """A client that reads as fast as it can resumes after missing 12 events of 16 KiB (192 KiB) on a gateway with a
    64 KiB outbound limit: the replay must reach it whole, without a slow-consumer close (3008) for a burst the
    gateway itself wrote at once. (With the default 1 MiB limit the same happens to a resume over ~1 MiB.)"""
    limit = 65536
    proc, port = stack.start_gateway("gateway-replay-burst", {"GATEWAY_MAX_OUTBOUND_BYTES": str(limit)})
    url = f"ws://127.0.0.1:{port}/ws"
    pub = Publisher(stack, pad=16 * 1024)
    sub = PlainSubscriber(pub.run)
    try:
        await sub.connect(url)
        await sub.close()
        await pub.burst(12)
        closes_before = len(sub.close_codes)
        data = await sub.connect(url)
        assert data.get("recovered") is True and data.get("replayed") == 12, data
        deadline = time.monotonic() + 5
        while len(sub.ids) < 12 and not sub.closed.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        live = await pub.burst(2)
        deadline = time.monotonic() + 5
        while len(sub.ids) < 14 and not sub.closed.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert not sub.close_codes[closes_before:], \
            f"a reading client was closed ({sub.close_codes[closes_before:]}) after a resume replaying 12 events of 16 KiB with a " \
            f"{limit} B outbound limit; it had received {len(sub.ids)} of {len(pub.ids)} (live after the replay: {live})"
        problem = check_exactly_once("resumed client", sub.ids, pub.ids)
        assert problem is None, problem
    finally:
        await sub.close()
        await pub.close()
        proc.stop(5)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socketio_recovery_replay_larger_than_the_outbound_limit_reaches_the_client(
        stack: Stack, transport: str) -> None:
    """The Socket.IO counterpart: a socket recovers after missing 12 events of 16 KiB (192 KiB) on a gateway with a
    64 KiB outbound limit. The replay is paced by what the transport can take (WebSocket writability, the long-polling
    queue being collected), so it arrives whole, in order, without the session being closed as a slow consumer —
    over long-polling such a replay used to overflow the Engine.IO queue and close the session at once, and the
    client's next recovery met the same replay again."""
    limit = 65536
    proc, port = stack.start_gateway(f"gateway-sio-replay-{transport}", {"GATEWAY_MAX_OUTBOUND_BYTES": str(limit)})
    url = f"http://127.0.0.1:{port}"
    pub = Publisher(stack, pad=16 * 1024)
    sub = SioSubscriber(pub.run)
    try:
        pid = await sub.connect(url)
        assert sub.client is not None
        drop_sio_transport(sub.client)
        await wait_disconnected(sub.client)
        await sub.close()
        missed = await pub.burst(12)
        new_pid = await sub.connect(url, subscribe=False, transports=[transport])
        assert new_pid == pid, f"not recovered over {transport}: pid {new_pid}, was {pid}"
        deadline = time.monotonic() + 10
        while len(sub.received()) < 12 and sub.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert sub.connected, \
            f"the session was closed during a 192 KiB replay over {transport} with a {limit} B limit; " \
            f"it had received {len(sub.ids)} of {len(missed)}"
        live = await pub.burst(2)
        deadline = time.monotonic() + 5
        while len(sub.received()) < 14 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert sub.connected, f"closed after the replay over {transport}"
        assert sub.received() == missed + live, f"received {sub.ids}, published {pub.ids}"
        assert not sub.errors, sub.errors
    finally:
        await sub.close()
        await pub.close()
        proc.stop(5)


async def test_socketio_polling_replay_of_an_event_larger_than_the_queue_limit_closes_only_that_session(
        stack: Stack) -> None:
    """One missed event of 100 KiB, recovered over long-polling on a gateway whose polling queue holds 64 KiB: that
    session is closed as a slow consumer (the event cannot fit its queue: the slow-consumer counter grows by one), and
    the gateway keeps serving — the replay used to go on writing into the closed session and crash the process."""
    proc, port = stack.start_gateway("gateway-sio-huge", {"GATEWAY_MAX_OUTBOUND_BYTES": "65536"})
    url = f"http://127.0.0.1:{port}"
    pub = Publisher(stack, pad=100 * 1024)
    sub = SioSubscriber(pub.run)
    try:
        pid = await sub.connect(url)
        assert isinstance(pid, str) and pid, f"auth_success without pid: {sub.pids}"
        assert sub.client is not None
        drop_sio_transport(sub.client)
        await wait_disconnected(sub.client)
        await sub.close()
        slow_before = metric(port, "coindaily_gateway_slow_consumer_disconnects_total")
        await pub.burst(1)
        try:
            await sub.connect(url, subscribe=False, transports=["polling"])
        except Exception:  # noqa: BLE001 - the session may close before the client sees its CONNECT reply
            pass
        # The recovery replays the 100 KiB event into the polling queue, which cannot take it: that session, and
        # only that one, is cut off as a slow consumer.
        slow = slow_before
        deadline = time.monotonic() + 10
        while proc.alive() and time.monotonic() < deadline:
            slow = await asyncio.to_thread(metric, port, "coindaily_gateway_slow_consumer_disconnects_total")
            if slow > slow_before:
                break
            await asyncio.sleep(0.1)
        assert proc.alive(), "the gateway died replaying an event larger than the polling queue"
        assert slow == slow_before + 1, \
            f"slow-consumer closes after recovering pid {pid} over polling with a 100 KiB event to replay: " \
            f"{slow - slow_before} (expected 1); the client saw pids {sub.pids}, events {sub.received()}"
        assert sub.received() == [], f"an event that cannot fit the 64 KiB queue was delivered: {sub.ids}"
        assert HTTP.get(f"{url}/healthz", timeout=2).status_code == 200
        check = SioSubscriber(pub.run)
        assert await check.connect(url) is not None, "the gateway no longer accepts Socket.IO clients"
        await check.close()
        assert proc.alive(), "the gateway died after the cut-off"
        assert metric(port, "coindaily_gateway_slow_consumer_disconnects_total") == slow_before + 1, \
            "a Socket.IO client after the cut-off was closed as a slow consumer too"
    finally:
        await sub.close()
        await pub.close()
        proc.stop(5)


# ---- Redis restarts (disruptive: they run after every other test) --------------------------------------------------------

async def _wait_ids(subs: list[PlainSubscriber], count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(s.ids) >= count or s.closed.is_set() for s in subs):
            return
        await asyncio.sleep(0.05)


def _enable_append_only(stack: Stack) -> None:
    """Turns Redis' append-only file on and waits until it holds everything (the rewrite that starts it is done)."""
    r = stack.redis()
    try:
        r.config_set("appendonly", "yes")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            info = r.info("persistence")
            if info.get("aof_enabled") == 1 and not info.get("aof_rewrite_in_progress") \
                    and not info.get("aof_rewrite_scheduled"):
                return
            time.sleep(0.05)
        raise AssertionError(f"the append-only file was not written in time: {r.info('persistence')}")
    finally:
        r.close()


async def _restart_redis(stack: Stack, keep: str) -> None:
    """SIGKILLs Redis and starts it again on the same port: ``keep="aof"`` from its append-only file (turned on and
    complete before the kill: every write survives), ``"snapshot"`` from the dump.rdb the test saved (``SAVE``),
    ``"nothing"`` empty. Returns once the stack's gateway is ready again."""
    data_dir = None
    if keep == "aof":
        _enable_append_only(stack)
        data_dir = stack.redis_data_dir()
    elif keep == "snapshot":
        data_dir = stack.redis_data_dir()
        assert (data_dir / "dump.rdb").is_file(), f"no dump.rdb in {data_dir}"
    else:
        assert keep == "nothing", keep
    stack.kill_redis()
    await asyncio.sleep(0.5)
    stack.start_redis(data_dir, append_only=keep == "aof")  # on this (the main) thread: see cdstack._die_with_parent
    assert redis_ping(stack.redis_port)
    await wait_ready(stack.gateway_port, 45)


async def _closed_with_3010(sub: PlainSubscriber, what: str) -> None:
    """A connection subscribed through a Redis restart that lost history is closed with 3010 (insufficient state)."""
    try:
        await asyncio.wait_for(sub.closed.wait(), 15)
    except asyncio.TimeoutError:
        raise AssertionError(f"the connection subscribed through {what} was not closed; "
                             f"it received {len(sub.ids)} events") from None
    assert sub.close_codes == [3010], f"close code after {what}: {sub.close_codes}"


async def _events_then_one_leaves(stack: Stack, pub: Publisher, stay: PlainSubscriber, gone: PlainSubscriber,
                                  missed: int) -> None:
    """Both subscribe and get 3 events; ``gone`` disconnects and misses ``missed`` more, which ``stay`` gets."""
    await stay.connect(stack.ws_url)
    await gone.connect(stack.ws_url)
    await pub.burst(3)
    await _wait_ids([stay, gone], 3)
    await gone.close()
    await pub.burst(missed)
    await _wait_ids([stay], 3 + missed)


@pytest.mark.disruptive
@pytest.mark.timeout(90)
async def test_redis_restart_with_persistence_resume_recovers(stack: Stack) -> None:
    """Redis restarted from its append-only file (every write survives a SIGKILL): plain and Socket.IO subscribers
    connected through the restart keep every event (no close); a plain one that left before resumes with ``since``
    (recovered, the 3 it missed), a Socket.IO one that lost its connection before recovers its pid (the kept state
    survived in the file) and gets all."""
    pub = Publisher(stack)
    stay = PlainSubscriber(pub.run)  # connected through the restart
    gone = PlainSubscriber(pub.run)  # disconnected before it, resumes after it
    sio_stay, sio_gone = SioSubscriber(pub.run), SioSubscriber(pub.run)
    try:
        await sio_stay.connect(stack.gateway_http)
        pid = await sio_gone.connect(stack.gateway_http)
        assert sio_gone.client is not None
        drop_sio_transport(sio_gone.client)  # a network loss: recoverable
        await wait_disconnected(sio_gone.client)
        await sio_gone.close()
        await _events_then_one_leaves(stack, pub, stay, gone, 3)
        ids_before = list(pub.ids)
        await pub.close()

        await _restart_redis(stack, keep="aof")

        pub = Publisher(stack, run=pub.run)
        pub.ids = ids_before
        data = await gone.connect(stack.ws_url)
        assert data.get("recovered") is True and data.get("replayed") == 3, \
            f"resume after a Redis restart from its saved data: {data}"
        assert_position(data, ids_before[-1])
        assert await sio_gone.connect(stack.gateway_http, subscribe=False) == pid, "Socket.IO not recovered"
        await pub.burst(3)
        await _wait_ids([stay, gone], len(pub.ids))
        deadline = time.monotonic() + 10
        while min(len(sio_stay.received()), len(sio_gone.received())) < len(pub.ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        for name, sub in (("resumed", gone), ("connected through the restart", stay)):
            problem = check_exactly_once(name, sub.ids, pub.ids)
            assert problem is None, f"{problem}; close codes {sub.close_codes}"
        for name, ids in (("Socket.IO through the restart", sio_stay.received()),
                          ("Socket.IO recovered", sio_gone.received())):
            problem = check_exactly_once(name, ids, pub.ids)
            assert problem is None, problem
        assert not stay.close_codes, f"the connection that stayed was closed: {stay.close_codes}"
        assert sio_stay.connected and sio_stay.client is not None and sio_stay.client.disconnects == 0, \
            "the Socket.IO connection that stayed was closed"
    finally:
        await sio_stay.close()
        await sio_gone.close()
        await stay.close()
        await gone.close()
        await pub.close()


@pytest.mark.disruptive
@pytest.mark.timeout(90)
async def test_redis_restart_without_persistence_is_not_recovered_epoch(stack: Stack) -> None:
    """The history is gone with Redis' data: a resume says so (recovered: false, reason epoch) and a connection that
    was subscribed meanwhile is closed with 3010 so that it resumes the same way: never a silent loss. A Socket.IO
    socket subscribed through it loses its transport the same way, and its recovery attempt is answered with a new
    pid (not recovered: its kept state went with Redis' data), so the client knows to subscribe again."""
    pub = Publisher(stack)
    stay = PlainSubscriber(pub.run)
    gone = PlainSubscriber(pub.run)
    sio = SioSubscriber(pub.run)
    try:
        old_pid = await sio.connect(stack.gateway_http)
        await _events_then_one_leaves(stack, pub, stay, gone, 2)
        old_epoch = parse_id(pub.ids[-1])[0]
        await pub.close()

        await _restart_redis(stack, keep="nothing")

        pub = Publisher(stack, run=pub.run)
        await _closed_with_3010(stay, "an empty Redis restart")
        new = await pub.burst(2)
        assert parse_id(new[0])[0] != old_epoch, f"the epoch did not change with Redis' data: {new[0]}"
        for name, sub in (("disconnected before the restart", gone), ("closed with 3010", stay)):
            since = sub.since
            data = await sub.connect(stack.ws_url)
            assert data.get("recovered") is False and data.get("reason") == "epoch", \
                f"{name}: resume with since={since} after an empty Redis restart: {data}"
            assert_position(data, new[-1])
        assert sio.client is not None
        await wait_disconnected(sio.client, 15)
        new_pid = await sio.connect(stack.gateway_http)  # tries to recover, then subscribes again
        assert new_pid is not None and new_pid != old_pid, f"a recovery across an empty Redis was accepted: {new_pid}"
        live = await pub.burst(1)
        await _wait_ids([stay, gone], 6)
        assert stay.ids[-1:] == live and gone.ids[-1:] == live, (stay.ids[-2:], gone.ids[-2:], live)
        deadline = time.monotonic() + 5
        while live[0] not in sio.received() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert sio.received()[-1:] == live, f"Socket.IO after subscribing again: {sio.ids[-3:]}, live {live}"
    finally:
        await sio.close()
        await stay.close()
        await gone.close()
        await pub.close()


@pytest.mark.disruptive
@pytest.mark.timeout(90)
async def test_redis_restart_from_an_older_snapshot_is_not_recovered_epoch(stack: Stack) -> None:
    """Redis killed after its last snapshot and restarted from it (RDB persistence): the events published after the
    snapshot are gone, and positions after the restart continue from the snapshot's, so a resume across it could look
    complete while it misses them. It must not: the gateway's Redis handshake sees a new Redis process without an
    append-only file and starts a new epoch. A plain subscriber that saw the lost events and left resumes with
    ``recovered: false`` (``epoch``), even once more new events were published than were lost; one connected through
    the restart is closed with 3010 and resumes the same way — never a silent loss."""
    pub = Publisher(stack)
    stay = PlainSubscriber(pub.run)
    gone = PlainSubscriber(pub.run)
    try:
        await stay.connect(stack.ws_url)
        await gone.connect(stack.ws_url)
        await pub.burst(2)
        await _wait_ids([stay, gone], 2)
        r = stack.redis()
        try:
            assert r.save(), "redis SAVE failed"
        finally:
            r.close()
        lost = await pub.burst(3)  # after the snapshot: the restart loses them
        await _wait_ids([stay, gone], 5)
        await gone.close()
        old_epoch = parse_id(lost[-1])[0]
        await pub.close()

        await _restart_redis(stack, keep="snapshot")

        pub = Publisher(stack, run=pub.run)
        await _closed_with_3010(stay, "a restart from an older snapshot")
        new = await pub.burst(6)  # more than were lost: positions alone could not tell any more
        assert parse_id(new[0])[0] != old_epoch, f"the epoch did not change with a restart from a snapshot: {new[0]}"
        for name, sub in (("left after the lost events", gone), ("closed with 3010", stay)):
            since = sub.since
            assert since == lost[-1], (name, since, lost)
            data = await sub.connect(stack.ws_url)
            assert data.get("recovered") is False and data.get("reason") == "epoch", \
                f"{name}: resume with since={since} after a restart from an older snapshot: {data}"
            assert_position(data, new[-1])
    finally:
        await stay.close()
        await gone.close()
        await pub.close()


async def test_socketio_websocket_slow_consumer_is_cut_off_with_3008(stack: Stack) -> None:
    """A Socket.IO client on the WebSocket transport that stops reading (64 KiB outbound limit, 1 s grace) gets its
    session closed with 3008 — counted as a slow consumer — instead of growing the gateway's buffers without bound;
    a plain client reading on the same gateway is not cut off. The cut-off client then recovers its pid and gets
    every event since it subscribed, exactly once and in order (the replay itself paced to the 64 KiB limit)."""
    limit = 65536
    proc, port = stack.start_gateway(
        "gateway-sio-slow", {"GATEWAY_MAX_OUTBOUND_BYTES": str(limit), "GATEWAY_SLOW_CONSUMER_GRACE_MS": "1000"})
    pub = Publisher(stack, pad=16 * 1024)
    fast = PlainSubscriber(pub.run)
    ws = None
    try:
        user = f"dlv-sio-slow-{os.urandom(3).hex()}"
        ws, pid = await _stalled_sio(port, user)
        await fast.connect(f"ws://127.0.0.1:{port}/ws")
        # From here on the Socket.IO client reads nothing (max_queue=1 and a 4 KiB receive buffer).
        await _publish_until_cut(pub, port, 1, 600)
        code = None
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
        except asyncio.TimeoutError:
            code = "still open"
        assert code in (3008, None), f"close code {code} (expected 3008, or no close frame at all)"
        deadline = time.monotonic() + 10
        while len(fast.ids) < len(pub.ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not fast.close_codes, f"the reading client was closed: {fast.close_codes}"
        problem = check_exactly_once("reading client", fast.ids, pub.ids)
        assert problem is None, problem

        # The cut-off client reconnects and recovers: it read nothing, so it sends its pid without an offset.
        ws.transport.abort()
        ws = None
        resumed = SioSubscriber(pub.run, sub=user)
        resumed.pid = pid
        assert await resumed.connect(f"http://127.0.0.1:{port}", subscribe=False) == pid, "not recovered"
        deadline = time.monotonic() + 20
        while len(resumed.received()) < len(pub.ids) and resumed.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        problem = check_exactly_once("recovered Socket.IO client", resumed.received(), pub.ids)
        assert problem is None, problem
        await resumed.close()
    finally:
        if ws is not None:
            ws.transport.abort()
        await fast.close()
        await pub.close()
        proc.stop(5)


async def test_history_off_answers_since_with_recovered_false_and_no_position(stack: Stack) -> None:
    """A gateway started with GATEWAY_HISTORY=off serves live events without resume: a subscription gets no
    ``position``, and one with ``since`` is confirmed with ``recovered: false`` and reason ``history disabled`` (never a
    silent pretence of recovery); live events still arrive."""
    proc, port = stack.start_gateway("gateway-no-history", {"GATEWAY_HISTORY": "off"})
    pub = Publisher(stack)
    client = await open_client(f"ws://127.0.0.1:{port}/ws")
    try:
        assert (await client.auth(hs256_token("dlv-nohist")))["type"] == "auth_success"
        first = await pub.publish()
        reply = await client.subscribe("whale_activity", {"since": first})
        assert reply["type"] == "subscription_confirmed", reply
        data = reply["data"]
        assert data.get("recovered") is False and data.get("reason") == "history disabled", data
        assert "position" not in data, data
        live = await pub.publish()
        deadline = time.monotonic() + 5
        while True:
            msg = await client.recv(max(0.1, deadline - time.monotonic()), "the live event")
            if msg.get("type") == WHALE_EVENT and msg.get("id") == live:
                break
    finally:
        await client.close()
        await pub.close()
        proc.stop(5)


async def test_unsubscribing_during_a_resync_does_not_leave_the_other_subscriptions_held(stack: Stack) -> None:
    """The gateway's Redis subscription drops (``CLIENT KILL TYPE pubsub``) while Redis stalls (``CLIENT PAUSE …
    WRITE`` holds the resume script), so a client subscribed to two kinds has a resync of both in flight; it
    unsubscribes one once the gateway's history read is seen waiting on Redis (``CLIENT LIST``: the gateway's
    connection blocked in the script). That resume is counted as cancelled
    (``coindaily_gateway_resumes_total{outcome="cancelled"}`` +1), and when Redis answers, the other kind's held
    events are released and live events flow: the resync no longer waits for an answer that the unsubscribed kind
    would never give."""
    proc, port = stack.start_gateway("gateway-resync-unsub", {"GATEWAY_RESUME_TIMEOUT_MS": "5000"})
    pub = Publisher(stack)
    client = await open_client(f"ws://127.0.0.1:{port}/ws")
    admin = stack.redis()
    paused = False
    try:
        assert (await client.auth(hs256_token("dlv-resync-unsub")))["type"] == "auth_success"
        assert (await client.subscribe("whale_activity"))["type"] == "subscription_confirmed"
        reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        cancelled = metric(port, "coindaily_gateway_resumes_total", outcome="cancelled")
        # Long enough for the gateway to re-subscribe and start its resync even on a loaded machine; the UNPAUSE
        # below comes as soon as the unsubscription is confirmed (well within the 5 s resume timeout).
        admin.execute_command("CLIENT", "PAUSE", "10000", "WRITE")
        paused = True
        admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")

        def resync_waiting() -> list[dict]:
            """The gateway's Redis connections blocked (by the pause) in a script: its resync's history read."""
            mine = redis_connections(proc, stack.redis_port)
            return [c for c in admin.client_list() if c["addr"] in mine and "b" in c["flags"]
                    and c["cmd"] in ("eval", "evalsha")]
        deadline = time.monotonic() + 8
        while not resync_waiting():
            mine = redis_connections(proc, stack.redis_port)
            assert time.monotonic() < deadline, \
                "the gateway's resync never reached Redis within 8 s of losing its subscription; its connections: " \
                f"{[c for c in admin.client_list() if c['addr'] in mine]}"
            await asyncio.sleep(0.02)
        reply = await client.unsubscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "unsubscription_confirmed", reply
        admin.execute_command("CLIENT", "UNPAUSE")
        paused = False
        live = await pub.publish()
        deadline = time.monotonic() + 5
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the whale subscription stayed held after its resync: no live event within 5 s"
            msg = await client.recv(remaining, "the live whale event after the resync")
            if msg.get("type") == WHALE_EVENT and msg.get("id") == live:
                break
        assert metric(port, "coindaily_gateway_resumes_total", outcome="cancelled") == cancelled + 1, \
            "the unsubscription did not cancel a resume in flight: the test did not exercise what it says"
    finally:
        if paused:
            admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
        await client.close()
        await pub.close()
        proc.stop(5)


async def test_resume_while_redis_does_not_answer_is_recovered_false_within_the_timeout(stack: Stack) -> None:
    """Redis stalls (``CLIENT PAUSE … WRITE`` holds the resume script) while a client subscribes with ``since`` on a
    gateway with GATEWAY_RESUME_TIMEOUT_MS=300: the subscription is still confirmed, promptly, with
    ``recovered: false`` / ``history unavailable`` (never a hang, never a claimed recovery), and live events flow once
    Redis answers again."""
    proc, port = stack.start_gateway("gateway-resume-timeout", {"GATEWAY_RESUME_TIMEOUT_MS": "300"})
    pub = Publisher(stack)
    holder = await open_client(f"ws://127.0.0.1:{port}/ws")  # keeps the channel subscribed on the gateway
    client = await open_client(f"ws://127.0.0.1:{port}/ws")
    admin = stack.redis()
    try:
        for c, sub in ((holder, "dlv-hold"), (client, "dlv-stall")):
            assert (await c.auth(hs256_token(sub)))["type"] == "auth_success"
        assert (await holder.subscribe("whale_activity"))["type"] == "subscription_confirmed"
        since = await pub.publish()
        # Paused far beyond the bound below: a confirmation that waited for Redis to answer cannot pass it.
        admin.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
        started = time.monotonic()
        reply = await client.subscribe("whale_activity", {"since": since})
        waited = time.monotonic() - started
        assert reply["type"] == "subscription_confirmed", reply
        assert reply["data"].get("recovered") is False and reply["data"].get("reason") == "history unavailable", reply
        assert waited < 1.2, f"confirmation took {waited:.2f}s with a 300 ms resume timeout"
        admin.execute_command("CLIENT", "UNPAUSE")  # Redis answers again (the finally unpauses too, on failure)
        live = await pub.publish()
        deadline = time.monotonic() + 5
        while True:
            msg = await client.recv(max(0.1, deadline - time.monotonic()), "the live event after the stall")
            if msg.get("type") == WHALE_EVENT and msg.get("id") == live:
                break
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
        await holder.close()
        await client.close()
        await pub.close()
        proc.stop(5)
