"""python-socketio 5.11 (``socketio.AsyncClient``) against the real stack: the gateway serves Socket.IO v5 on the
same port and path as the plain protocol (``/ws``, ``EIO=4`` in the query), sharing auth, subscriptions and
fan-out with it (issue 3; the protocol is ../shared/spec/coindaily-websocket-protocol.md, the gateway's rules
docs/protocol.md).

What the server does, as these tests expect it:

* a token in the CONNECT auth (``auth={"token": T}``) is verified there; a bad one is refused with CONNECT_ERROR
  ``{"message": "Authentication failed"}`` (python-socketio hands that object to ``connect_error`` and raises
  ``socketio.exceptions.ConnectionError``); no token connects unauthenticated, then ``authenticate`` ``{token}``
  → ``auth_success`` / ``auth_error``; other events before that → ``error`` ``AUTH_REQUIRED``;
* every client event of the spec is a Socket.IO event; replies are events carrying the plain protocol's
  ``data`` (errors: ``{code, message, timestamp}``); with an ack requested, the one ack argument is the whole
  plain protocol message (``{"type", "data"|"error", "timestamp"}``) and no event is sent;
* no authentication within the auth timeout (1500 ms in this stack) → a server-initiated disconnect
  (``io server disconnect``: a Socket.IO DISCONNECT packet).

python-socketio 5.11.4 passes no reason to ``disconnect`` handlers (reasons came in 5.12). The tests tell a
server-initiated Socket.IO disconnect (``41``, what socket.io-client reports as ``io server disconnect``) from a
dropped transport by behaviour: python-socketio, like socket.io-client, does not reconnect after a DISCONNECT
packet but does after a transport loss; and a raw WebSocket client checks the ``41`` frame itself.

Token symbols: BTC for live updates (positive scores only); ETH and SOL are never ingested here (cdstack.py).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import socketio

import jwtutil
from cdstack import AUTH_TIMEOUT_MS, JWT_SECRET, Stack, bullish_batch
from channels import ALL_CHANNELS, ALLOWED
from conformance_support import Ws, open_ws
from sioclient import OFFSET_RE, SioClient, check_envelope, check_error_event, check_timestamp, sio_connected
from wsclient import assert_sentiment_data, now_ms, session

TRANSPORTS = {
    "websocket": (["websocket"], "websocket"),
    "polling": (["polling"], "polling"),
    "default-polling-then-upgrade": (None, "websocket"),
}


def is_btc(data: object) -> bool:
    return isinstance(data, dict) and data.get("token") == "BTC"


def new_user() -> str:
    return f"sio-{time.monotonic_ns() % 10**9}"


def check_confirmation(data: object, expected: dict) -> None:
    """A ``subscription_confirmed``'s data (no ``since``): exactly ``expected`` plus ``position``, the history
    position an event id ``<epoch>:<ms>-<seq>`` (issue 6)."""
    assert isinstance(data, dict), f"subscription_confirmed data is not an object: {data!r}"
    position = data.get("position")
    assert isinstance(position, str) and OFFSET_RE.match(position), \
        f"subscription_confirmed position is not an id <epoch>:<ms>-<seq>: {data}"
    assert {k: v for k, v in data.items() if k != "position"} == expected, data


def check_pid(data: object, what: str) -> str:
    """``pid`` (Socket.IO's private session id, issue 6) in ``data``: a non-empty string."""
    assert isinstance(data, dict), f"{what}: not an object: {data!r}"
    pid = data.get("pid")
    assert isinstance(pid, str) and pid, f"{what}: no pid (a non-empty string): {data}"
    return pid


async def raw_connect(ws: Ws, token: str | None) -> None:
    """CONNECT (``40`` or ``40{"token":…}``) on a raw socket: the ``40{"sid":…,"pid":…}`` reply is checked (``pid``
    for connection state recovery, issue 6); an ``auth_success`` event the server may add after a handshake token
    is consumed too (and must then carry the same ``pid``)."""
    await ws.send("40" if token is None else "40" + json.dumps({"token": token}))
    frame = await ws.recv_data(what="the Socket.IO handshake")
    assert isinstance(frame, str) and frame.startswith("40{"), f"CONNECT reply: {frame!r}"
    reply = json.loads(frame[2:])
    assert set(reply) == {"sid", "pid"}, frame
    assert isinstance(reply["sid"], str) and reply["sid"], frame
    pid = check_pid(reply, "CONNECT reply")
    assert pid != reply["sid"], f"pid must not be the (public) sid: {frame}"
    if token is not None:
        try:
            frame = await ws.recv_data(timeout=0.3, what="an optional auth_success")
        except AssertionError:
            return  # nothing more: fine
        assert isinstance(frame, str) and frame.startswith('42["auth_success",'), \
            f"unexpected frame after the CONNECT reply: {frame!r}"
        assert check_pid(json.loads(frame[2:])[1], "auth_success") == pid, \
            f"auth_success pid differs from the CONNECT reply's ({pid}): {frame}"


def raw_url(stack: Stack, path: str = "/ws/") -> str:
    return f"ws://127.0.0.1:{stack.gateway_port}{path}?EIO=4&transport=websocket"


async def raw_engineio(stack: Stack, path: str = "/ws/") -> Ws:
    """A raw Engine.IO WebSocket to the gateway, past the open packet (checked)."""
    ws = await open_ws(raw_url(stack, path))
    frame = await ws.recv(what="the Engine.IO open packet")
    assert isinstance(frame, str) and frame.startswith("0{"), f"not an open packet: {frame!r}"
    handshake = json.loads(frame[1:])
    assert set(handshake) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}, handshake
    return ws


# =============================================================================================================
# transports: websocket, polling, and the default (polling, then upgrade)
# =============================================================================================================

@pytest.mark.timeout(40)
@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_transport_connects_authenticates_and_receives_live_updates(stack: Stack, transport: str) -> None:
    transports, expected = TRANSPORTS[transport]
    token = stack.mint(new_user(), ["user"])
    async with sio_connected(stack.gateway_http, token, transports) as client:
        assert client.sio.connected and isinstance(client.sio.sid, str) and client.sio.sid, client.sio.sid
        assert client.sio.transport() == expected, f"transport in use: {client.sio.transport()}"
        assert client.connects == 1 and not client.connect_errors, (client.connects, client.connect_errors)

        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", {"tokens": ["BTC"]})
        confirmed = await client.event("subscription_confirmed", mark)
        check_confirmation(confirmed, {"channel": "market_sentiment", "tokens": ["BTC"]})

        mark = client.mark()
        posted_at = now_ms()
        stack.ingest_ok(bullish_batch("BTC"))
        update = await client.event("market_sentiment_update", mark, 15, where=is_btc, what="a BTC update")
        assert_sentiment_data(update, "BTC")
        assert update["timestamp"] >= posted_at - 2000, f"stale update: {update}"
        assert update["score"] > 0, f"all BTC inputs are bullish, yet: {update}"
        assert not client.events_named("error"), client.summary()


@pytest.mark.timeout(40)
@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_transport_authenticate_event_then_subscribe(stack: Stack, transport: str) -> None:
    transports, expected = TRANSPORTS[transport]
    token = stack.mint("sio-late-auth", ["user", "editor"])  # minted first: the auth timeout is 1.5 s
    async with sio_connected(stack.gateway_http, None, transports) as client:
        assert client.sio.transport() == expected
        mark = client.mark()
        await client.sio.emit("authenticate", {"token": token})
        data = await client.event("auth_success", mark)
        assert data["userId"] == "sio-late-auth" and sorted(data["roles"]) == ["editor", "user"], data
        exp_ms = jwtutil.decode(token)[1]["exp"] * 1000
        assert isinstance(data["expiresAt"], int) and abs(data["expiresAt"] - exp_ms) <= 1000, data
        reply = await client.call("subscribe_pipeline_updates", {})
        check_envelope(reply, "subscription_confirmed")
        assert reply["data"]["channel"] == "pipeline_updates", reply


# =============================================================================================================
# auth in the handshake
# =============================================================================================================

@pytest.mark.timeout(20)
async def test_good_token_in_the_handshake_connects_authenticated(stack: Stack) -> None:
    token = stack.mint("sio-alice", ["user"])
    async with sio_connected(stack.gateway_http, token, ["websocket"]) as client:
        assert client.sio.connected and client.sio.sid
        # with the token in the CONNECT, auth_success follows it and carries the recovery pid (issue 6)
        check_pid(await client.event("auth_success", 0), "auth_success after a CONNECT token")
        assert client.pid, client.summary()
        # authenticated already: a subscription is confirmed, no AUTH_REQUIRED
        reply = await client.call("subscribe_market_sentiment", {"tokens": ["BTC"]})
        check_envelope(reply, "subscription_confirmed")
        await asyncio.sleep(AUTH_TIMEOUT_MS / 1000 + 0.5)  # and no auth timeout applies
        assert client.sio.connected and client.disconnects == 0, client.summary()
        reply = await client.call("ping")
        check_envelope(reply, "pong")


@pytest.mark.timeout(20)
async def test_hs256_token_with_the_configured_secret_connects(stack: Stack) -> None:
    token = jwtutil.hs256(jwtutil.claims("sio-legacy", ["user"]), JWT_SECRET)
    async with sio_connected(stack.gateway_http, token, ["websocket"]) as client:
        reply = await client.call("subscribe_market_sentiment", {"tokens": ["BTC"]})
        check_envelope(reply, "subscription_confirmed")


def _bad_tokens(stack: Stack) -> dict[str, str]:
    real = stack.mint("sio-victim", ["user"])
    return {
        "garbage": "not-a-jwt",
        "forged-payload": jwtutil.with_claims_replaced(real, sub="mallory", roles=["admin"]),
        "hs256-wrong-secret": jwtutil.hs256(jwtutil.claims("mallory", ["admin"]), "not-the-secret"),
        "expired": jwtutil.hs256(jwtutil.claims("mallory", ["user"], iat=int(time.time()) - 7200,
                                                exp=int(time.time()) - 3600), JWT_SECRET),
        "alg-none": jwtutil.alg_none(jwtutil.claims("mallory", ["admin"])),
    }


@pytest.mark.timeout(20)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.parametrize("case", ["garbage", "forged-payload", "hs256-wrong-secret", "expired", "alg-none"])
async def test_bad_token_in_the_handshake_is_connect_error_authentication_failed(
        stack: Stack, case: str, transport: str) -> None:
    bad = _bad_tokens(stack)[case]
    client = SioClient()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(stack.gateway_http, bad, [transport], wait_timeout=1)
        # the client's connect_error gets the CONNECT_ERROR payload: exactly {"message": "Authentication failed"}
        assert client.connect_errors == [({"message": "Authentication failed"},)], client.connect_errors
        assert not client.sio.connected and client.connects == 0
    finally:
        await client.close()


@pytest.mark.timeout(20)
async def test_bad_token_raw_connect_error_bytes(stack: Stack) -> None:
    # the exact packet: 44{"message":"Authentication failed"} (CONNECT_ERROR on the main namespace)
    ws = await raw_engineio(stack)
    try:
        await ws.send('40{"token":"not-a-jwt"}')
        frame = await ws.recv_data(what="CONNECT_ERROR")
        assert frame == '44{"message":"Authentication failed"}', frame
    finally:
        await ws.close()


# =============================================================================================================
# no token: unauthenticated until `authenticate`
# =============================================================================================================

@pytest.mark.timeout(20)
async def test_no_token_connects_unauthenticated_and_events_are_auth_required(stack: Stack) -> None:
    # (python-socketio sends 40{} when it has no auth; the raw test below sends a bare 40)
    token = stack.mint("sio-bob", ["user"])
    async with sio_connected(stack.gateway_http, auth=None, transports=["websocket"]) as client:
        assert client.sio.connected and client.sio.sid and not client.connect_errors

        for event, data in (("subscribe_market_sentiment", {"tokens": ["BTC"]}), ("ping", None),
                            ("get_market_sentiment", {"tokens": ["BTC"]})):
            mark = client.mark()
            await client.sio.emit(event, data)
            await client.error("AUTH_REQUIRED", mark)

        mark = client.mark()
        await client.sio.emit("authenticate", {"token": token})
        data = await client.event("auth_success", mark)
        assert data["userId"] == "sio-bob" and data["roles"] == ["user"], data
        exp_ms = jwtutil.decode(token)[1]["exp"] * 1000
        assert isinstance(data["expiresAt"], int) and abs(data["expiresAt"] - exp_ms) <= 1000, data

        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", {"tokens": ["BTC"]})
        check_confirmation(await client.event("subscription_confirmed", mark),
                           {"channel": "market_sentiment", "tokens": ["BTC"]})


@pytest.mark.timeout(20)
async def test_no_token_raw_frames(stack: Stack) -> None:
    # a bare 40 connects unauthenticated; an event then gets 42["error",{code, message, timestamp}]
    ws = await raw_engineio(stack)
    try:
        await raw_connect(ws, None)
        await ws.send('42["subscribe_market_sentiment",{"tokens":["BTC"]}]')
        frame = await ws.recv_data(what="the AUTH_REQUIRED error event")
        assert isinstance(frame, str) and frame.startswith('42["error",'), frame
        name, data = json.loads(frame[2:])
        check_error_event(data)
        assert data["code"] == "AUTH_REQUIRED", data
    finally:
        await ws.close()


@pytest.mark.timeout(20)
async def test_authenticate_with_a_bad_token_is_auth_error_and_may_retry(stack: Stack) -> None:
    good = stack.mint("sio-retry", ["user"])
    async with sio_connected(stack.gateway_http, transports=["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("authenticate", {"token": "not-a-jwt"})
        data = await client.event("auth_error", mark)
        check_error_event(data)
        assert data["code"] == "AUTH_FAILED", data

        mark = client.mark()
        await client.sio.emit("ping")
        await client.error("AUTH_REQUIRED", mark)  # still not authenticated

        mark = client.mark()
        await client.sio.emit("authenticate", {"token": good})
        assert (await client.event("auth_success", mark))["userId"] == "sio-retry"


@pytest.mark.timeout(20)
async def test_authenticate_with_an_ack(stack: Stack) -> None:
    token = stack.mint("sio-ack-auth", ["user"])
    async with sio_connected(stack.gateway_http, transports=["websocket"]) as client:
        reply = await client.call("ping")
        assert check_envelope(reply, "error")["error"]["code"] == "AUTH_REQUIRED", reply
        reply = await client.call("authenticate", {"token": "not-a-jwt"})
        assert check_envelope(reply, "auth_error")["error"]["code"] == "AUTH_FAILED", reply
        reply = await client.call("authenticate", {"token": token})
        check_envelope(reply, "auth_success")
        assert reply["data"]["userId"] == "sio-ack-auth" and reply["data"]["roles"] == ["user"], reply
        await asyncio.sleep(0.3)
        assert not client.events_named("auth_success") and not client.events_named("auth_error"), \
            f"acked requests must not also send events: {client.summary()}"


# =============================================================================================================
# the auth timeout: a server-initiated disconnect
# =============================================================================================================

@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_no_auth_within_the_timeout_is_a_server_disconnect(stack: Stack, transport: str) -> None:
    # Reconnection on, and fast: after a dropped transport python-socketio would reconnect within 0.2 s; after a
    # DISCONNECT packet (socket.io-client's "io server disconnect") it does not.
    client = SioClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.2, randomization_factor=0)
    try:
        await client.connect(stack.gateway_http, None, [transport])
        started = time.monotonic()
        deadline = started + AUTH_TIMEOUT_MS / 1000 + 5
        while client.disconnects == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert client.disconnects == 1, f"not disconnected {AUTH_TIMEOUT_MS} ms after connecting: {client.summary()}"
        assert client.disconnected_at is not None
        elapsed = client.disconnected_at - started
        assert elapsed >= AUTH_TIMEOUT_MS / 1000 * 0.8, f"disconnected after {elapsed:.2f}s, before the auth timeout"
        assert not client.sio.connected

        await asyncio.sleep(1.5)
        assert client.connects == 1, \
            "the client reconnected: the server dropped the transport instead of sending a Socket.IO DISCONNECT " \
            "(socket.io-client would report 'transport close', not 'io server disconnect')"
        for data in client.events_named("error"):  # an explanation before the disconnect is welcome
            check_error_event(data)
            assert data["code"] == "CONNECTION_TIMEOUT", data
    finally:
        await client.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_token_expiring_on_an_open_connection_is_a_server_disconnect(stack: Stack, transport: str) -> None:
    # issue 3: "A server-initiated disconnect (auth timeout, token revoked later) reaches the client as
    # io server disconnect"; docs/protocol.md: at exp the gateway sends error AUTH_FAILED and disconnects
    resp = stack.post_token({"sub": "sio-expiring", "roles": ["user"], "ttl": 2})
    if resp.status_code == 400:
        pytest.skip(f"the auth service refuses ttl=2 ({resp.text})")
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    exp = jwtutil.decode(token)[1]["exp"]
    client = SioClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.2, randomization_factor=0)
    try:
        await client.connect(stack.gateway_http, token, [transport])
        check_envelope(await client.call("subscribe_market_sentiment", {"tokens": ["BTC"]}), "subscription_confirmed")
        deadline = time.monotonic() + max(1.0, exp - time.time()) + 5
        while client.disconnects == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert client.disconnects == 1, f"still connected after the token expired: {client.summary()}"
        assert time.time() >= exp - 1, "disconnected before the token expired"
        await asyncio.sleep(1.5)
        assert client.connects == 1, "the client reconnected: a dropped transport, not a Socket.IO DISCONNECT"
        for data in client.events_named("error"):
            check_error_event(data)
            assert data["code"] == "AUTH_FAILED", data
    finally:
        await client.close()


@pytest.mark.timeout(20)
async def test_no_auth_within_the_timeout_raw_disconnect_packet(stack: Stack) -> None:
    ws = await raw_engineio(stack)
    try:
        await raw_connect(ws, None)
        frames: list[str | bytes] = []
        deadline = time.monotonic() + AUTH_TIMEOUT_MS / 1000 + 5
        while "41" not in frames:
            assert time.monotonic() < deadline, f"no DISCONNECT packet (41) after the auth timeout: {frames!r}"
            frames.append(await ws.recv_data(timeout=max(0.1, deadline - time.monotonic()), what="41"))
        others = [f for f in frames if f != "41"]
        for f in others:
            assert isinstance(f, str) and f.startswith('42["error",'), f"unexpected frame before 41: {f!r}"
            assert json.loads(f[2:])[1]["code"] == "CONNECTION_TIMEOUT", f
    finally:
        await ws.close()


# =============================================================================================================
# client events as Socket.IO events, replies as events
# =============================================================================================================

@pytest.mark.timeout(20)
async def test_subscribe_then_unsubscribe_with_and_without_data(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", {"tokens": ["BTC", "ETH"]})
        check_confirmation(await client.event("subscription_confirmed", mark),
                           {"channel": "market_sentiment", "tokens": ["BTC", "ETH"]})

        mark = client.mark()
        await client.sio.emit("unsubscribe_market_sentiment", {"tokens": ["ETH"]})
        data = await client.event("unsubscription_confirmed", mark)
        assert data["channel"] == "market_sentiment" and data.get("tokens") == ["ETH"], data

        mark = client.mark()
        await client.sio.emit("unsubscribe_market_sentiment")  # no argument at all: every subscription of the kind
        data = await client.event("unsubscription_confirmed", mark)
        assert data["channel"] == "market_sentiment", data

        mark = client.mark()
        await client.sio.emit("unsubscribe_whale_activity", {})  # not subscribed: confirmed anyway
        assert (await client.event("unsubscription_confirmed", mark))["channel"] == "whale_activity"


@pytest.mark.timeout(40)
@pytest.mark.parametrize("role", list(ALLOWED))
async def test_role_permissions_for_every_channel(stack: Stack, role: str) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(f"sio-{role}", [role]), ["websocket"]) as client:
        for channel, params in ALL_CHANNELS.items():
            mark = client.mark()
            await client.sio.emit(f"subscribe_{channel}", params)
            if channel in ALLOWED[role]:
                data = await client.event("subscription_confirmed", mark, what=f"confirmation of {channel}")
                assert data["channel"] == channel, data
            else:
                err = await client.error("SUBSCRIPTION_FAILED", mark)
                assert "forbidden" in err["message"].lower(), err


@pytest.mark.timeout(20)
async def test_user_may_not_subscribe_to_system_health(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint("sio-plain-user", ["user"]), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("subscribe_system_health", {})
        err = await client.error("SUBSCRIPTION_FAILED", mark)
        assert "forbidden" in err["message"].lower() and "system_health" in err["message"], err
        await asyncio.sleep(0.3)
        assert not client.events_named("subscription_confirmed"), client.summary()
        reply = await client.call("subscribe_system_health", {})
        assert check_envelope(reply, "error")["error"]["code"] == "SUBSCRIPTION_FAILED", reply


@pytest.mark.timeout(20)
async def test_ping_is_answered_with_pong(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        for data in (None, {}):
            mark = client.mark()
            await client.sio.emit("ping", data)
            args = await client.event("pong", mark, single=False)
            # the spec's handler takes no argument; the plain protocol's pong has only a timestamp
            assert len(args) <= 1, args
            if args:
                assert isinstance(args[0], dict), args
                if "timestamp" in args[0]:
                    check_timestamp(args[0]["timestamp"], "pong")
        assert not client.events_named("error"), client.summary()


@pytest.mark.timeout(40)
async def test_get_market_sentiment_snapshot(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", {"tokens": ["BTC"]})
        await client.event("subscription_confirmed", mark)
        mark = client.mark()
        stack.ingest_ok(bullish_batch("BTC"))
        await client.event("market_sentiment_update", mark, 15, where=is_btc)

        mark = client.mark()
        await client.sio.emit("get_market_sentiment", {"tokens": ["BTC", "SOL"]})
        data = await client.event("market_sentiment_snapshot", mark)
        assert isinstance(data.get("sentiments"), list) and len(data["sentiments"]) == 1, data
        assert_sentiment_data(data["sentiments"][0], "BTC")
        assert data["missing"] == ["SOL"], data


BAD_PARAMETERS = [
    ("empty-tokens", "subscribe_market_sentiment", {"tokens": []}),
    ("missing-tokens", "subscribe_market_sentiment", {}),
    ("tokens-string", "subscribe_market_sentiment", {"tokens": "BTC"}),
    ("unknown-symbol", "subscribe_market_sentiment", {"tokens": ["NOTACOIN"]}),
    ("whale-negative-min-amount", "subscribe_whale_activity", {"minAmount": -1}),
    ("moderation-unknown-severity", "subscribe_moderation_queue", {"severity": "apocalyptic"}),
]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("event,data", [(e, d) for _, e, d in BAD_PARAMETERS], ids=[i for i, _, _ in BAD_PARAMETERS])
async def test_bad_parameters_are_subscription_failed_error_event(stack: Stack, event: str, data: dict) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user(), ["admin"]), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit(event, data)
        err = await client.error("SUBSCRIPTION_FAILED", mark)
        assert "forbidden" not in err["message"].lower(), err
        # the connection keeps working
        mark = client.mark()
        await client.sio.emit("ping")
        await client.event("pong", mark, single=False)


@pytest.mark.timeout(20)
async def test_unknown_event_is_invalid_message_format(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("subscribe_everything", {})
        await client.error("INVALID_MESSAGE_FORMAT", mark)
        reply = await client.call("no_such_event", {"x": 1})
        assert check_envelope(reply, "error")["error"]["code"] == "INVALID_MESSAGE_FORMAT", reply
        assert client.sio.connected


@pytest.mark.timeout(20)
async def test_argument_that_is_not_an_object_is_invalid_message_format(stack: Stack) -> None:
    # docs/protocol.md: "data must be an object when present" — the event's argument is the data
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", "BTC")
        await client.error("INVALID_MESSAGE_FORMAT", mark)
        mark = client.mark()
        await client.sio.emit("subscribe_market_sentiment", ["BTC"])
        await client.error("INVALID_MESSAGE_FORMAT", mark)
        assert client.sio.connected


# =============================================================================================================
# acks: one argument, the plain protocol message; no event besides
# =============================================================================================================

@pytest.mark.timeout(20)
async def test_ack_carries_the_subscription_confirmation(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        reply = await client.call("subscribe_market_sentiment", {"tokens": ["BTC"]})
        check_envelope(reply, "subscription_confirmed")
        check_confirmation(reply["data"], {"channel": "market_sentiment", "tokens": ["BTC"]})
        assert "error" not in reply, reply

        reply = await client.call("unsubscribe_market_sentiment", {"tokens": ["BTC"]})
        check_envelope(reply, "unsubscription_confirmed")
        assert reply["data"]["channel"] == "market_sentiment", reply

        await asyncio.sleep(0.3)
        assert not client.events_named("subscription_confirmed") and not client.events_named("unsubscription_confirmed"), \
            f"an acked request must be answered only by the ack: {client.summary()}"


@pytest.mark.timeout(20)
async def test_ack_carries_the_error(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as client:
        reply = await client.call("subscribe_market_sentiment", {"tokens": ["NOTACOIN"]})
        check_envelope(reply, "error")
        assert reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply
        assert "data" not in reply, reply
        await asyncio.sleep(0.3)
        assert not client.events_named("error"), f"an acked request must not also send an error event: {client.summary()}"


@pytest.mark.timeout(20)
async def test_ack_for_ping_and_snapshot(stack: Stack) -> None:
    async with sio_connected(stack.gateway_http, stack.mint(new_user()), ["polling"]) as client:
        check_envelope(await client.call("ping"), "pong")
        reply = await client.call("get_market_sentiment", {"tokens": ["SOL"]})
        check_envelope(reply, "market_sentiment_snapshot")
        assert reply["data"] == {"sentiments": [], "missing": ["SOL"]}, reply
        await asyncio.sleep(0.3)
        assert not client.events_named("pong") and not client.events_named("market_sentiment_snapshot"), client.summary()


@pytest.mark.timeout(20)
async def test_ack_raw_frame_is_one_argument(stack: Stack) -> None:
    # 42<id>["ping"] → 43<id>[{"type":"pong","timestamp":...}]: an ACK packet with the same id, one argument
    token = stack.mint(new_user())
    ws = await raw_engineio(stack)
    try:
        await raw_connect(ws, token)
        await ws.send('4217["ping"]')
        frame = await ws.recv_data(what="the ack")
        assert isinstance(frame, str) and frame.startswith("4317["), frame
        args = json.loads(frame[4:])
        assert isinstance(args, list) and len(args) == 1, args
        check_envelope(args[0], "pong")
    finally:
        await ws.close()


# =============================================================================================================
# live updates and fan-out shared with the plain protocol
# =============================================================================================================

@pytest.mark.timeout(40)
async def test_plain_and_socketio_clients_get_the_same_update(stack: Stack) -> None:
    async with session(stack) as plain, \
            sio_connected(stack.gateway_http, stack.mint(new_user()), ["websocket"]) as sio:
        reply = await plain.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        check_envelope(await sio.call("subscribe_market_sentiment", {"tokens": ["BTC"]}), "subscription_confirmed")

        # let anything already on its way (an earlier test's BTC) pass, then one ingest
        await plain.collect(1.5)
        mark = sio.mark()
        stack.ingest_ok(bullish_batch("BTC"))

        plain_update = await plain.wait_for(
            lambda m: m["type"] == "market_sentiment_update" and m["data"].get("token") == "BTC", 15,
            "a BTC update on the plain client")
        sio_update = await sio.event("market_sentiment_update", mark, 15, where=is_btc)
        assert sio_update == plain_update["data"], \
            f"different updates from one ingest:\nplain: {plain_update['data']}\nsio:   {sio_update}"
        assert_sentiment_data(sio_update, "BTC")


@pytest.mark.timeout(40)
async def test_raw_socketio_update_frame(stack: Stack) -> None:
    # the update is one EVENT packet: 42["market_sentiment_update",{…},"<offset>"] (namespace /, no ack id; the
    # event's id as the extra last argument, issue 6)
    token = stack.mint(new_user())
    ws = await raw_engineio(stack, "/ws")  # /ws without the slash is served too
    try:
        await raw_connect(ws, token)
        await ws.send('42["subscribe_market_sentiment",{"tokens":["BTC"]}]')
        frame = await ws.recv_data(what="subscription_confirmed")
        assert isinstance(frame, str) and frame.startswith('42["subscription_confirmed",'), frame
        name, data = json.loads(frame[2:])  # a reply, not a pushed event: no offset argument
        assert name == "subscription_confirmed", frame
        check_confirmation(data, {"channel": "market_sentiment", "tokens": ["BTC"]})
        stack.ingest_ok(bullish_batch("BTC"))
        deadline = time.monotonic() + 15
        while True:
            frame = await ws.recv_data(timeout=max(0.1, deadline - time.monotonic()), what="a BTC update")
            assert isinstance(frame, str), frame
            if frame.startswith('42["market_sentiment_update",'):
                args = json.loads(frame[2:])
                assert len(args) == 3, f"expected [name, data, offset]: {frame}"
                name, data, offset = args
                assert name == "market_sentiment_update"
                assert isinstance(offset, str) and OFFSET_RE.match(offset), f"last argument is not an event id: {frame}"
                if data.get("token") == "BTC":
                    assert_sentiment_data(data, "BTC")
                    break
    finally:
        await ws.close()


# =============================================================================================================
# bad packets close the connection
# =============================================================================================================

@pytest.mark.timeout(20)
@pytest.mark.parametrize("packet", ["4abc", "42{}"])
@pytest.mark.parametrize("connected_first", [True, False], ids=["after-connect", "before-connect"])
async def test_bad_packets_close_the_connection(stack: Stack, packet: str, connected_first: bool) -> None:
    ws = await raw_engineio(stack)
    try:
        if connected_first:
            await raw_connect(ws, stack.mint(new_user()))
        await ws.send(packet)
        await ws.expect_close(3.0, why=f"after {packet!r}")
    finally:
        await ws.close()


@pytest.mark.timeout(20)
async def test_plain_protocol_unchanged_beside_socketio(stack: Stack) -> None:
    # /ws without EIO is still the plain JSON protocol on the same port
    async with session(stack) as plain:
        reply = await plain.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        await plain.ping()
