"""Issue 5, end to end: refresh, revoke and key rotation across two gateways sharing one Redis.

Gateway A is the stack's own (``stack.ws_url``); gateway B is a second one on the same Redis, started once for the
module (``stack.start_gateway``). Open connections get whale alerts published into Redis through the history
script (``delivery_support.Publisher``: EVAL of ``EventHistory.publishScript`` on ``cd:ev:whale_activity``), each
alert's data tagged with the test's ``run`` and its index ``n``, so a client can wait for exactly "event n of this
test" and "still receives events" is checked, not assumed.

* refresh: mint (``POST /v1/tokens``), connect plain to A and Socket.IO to B, ``POST /v1/refresh``; the new access
  token re-authenticates both in-band (plain ``auth``, Socket.IO ``authenticate``) and the subscription keeps
  delivering; presenting the old refresh token again is 401 ``REFRESH_TOKEN_REUSED`` and every access token of
  the family is revoked: the open connections with either token, on both gateways, are closed within 1 s (plain:
  ``error`` AUTH_FAILED "token revoked" then close 4001; Socket.IO: a server disconnect, no reconnect) and new
  authentication with either token is refused on both gateways;
* revoke: ``{"jti"}`` closes that token's connections on A and B within 1 s (the user's other token stays);
  ``{"sub"}`` closes all of the user's connections on both, another user's stay and keep receiving;
* rotation: ``POST /v1/keys/rotate`` on the stack's auth service: a new ``kid`` signs, its tokens authenticate on
  both gateways within about a second without restarting them, open K1 connections stay and keep receiving, a new
  connection with a K1 token still authenticates;
* retirement: a second auth instance on the same Redis with ``--key-retire-after 3``: after its rotation the old
  key is retired (``HDEL cd:auth:jwks``), and from then on its token is refused on both gateways (AUTH_FAILED,
  unknown signing key) while the connections already open with it are left alone (docs/security.md: "without
  touching open connections").

Socket.IO clients pass ``"offsets": false`` so every event carries exactly its data.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any, Iterator

import pytest
from websockets.asyncio.client import connect

import jwtutil
from cdstack import ADMIN_KEY, HTTP, LOG_LEVEL, STARTUP_DEADLINE, Proc, Stack, binary, free_port, http_status, wait_until
from delivery_support import WHALE_EVENT, Publisher
from security_support import Gateway as Gw
from sioclient import SioClient, check_envelope
from wsclient import Client, open_client

REVOCATION_BOUND_S = 1.0
ANNOUNCEMENT_BOUND_S = 1.5  # "allow ~1 s for the announcement", plus the polling step
RETIRE_AFTER_S = 3


def uid(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


@pytest.fixture(scope="module")
def gws(stack: Stack) -> Iterator[dict[str, Gw]]:
    proc, port = stack.start_gateway("gateway-lifecycle-b")
    yield {"A": Gw("A", stack.gateway_port, stack.procs["gateway"]), "B": Gw("B", port, proc)}
    proc.stop(5)


# ---- HTTP ---------------------------------------------------------------------------------------------------------

def post(url: str, body: Any = None, admin: bool = True) -> Any:
    headers = {"Content-Type": "application/json"}
    if admin:
        headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    data = json.dumps(body).encode() if body is not None else b""
    return HTTP.post(url, data=data, headers=headers, timeout=5)


def mint_pair(auth_url: str, sub: str, ttl: int = 600) -> dict:
    resp = post(f"{auth_url}/v1/tokens", {"sub": sub, "roles": ["user"], "ttl": ttl})
    assert resp.status_code == 200, f"POST /v1/tokens -> {resp.status_code}: {resp.text}"
    return resp.json()


def jti(token: str) -> str:
    return jwtutil.decode(token)[1]["jti"]


def kid(token: str) -> str:
    return jwtutil.decode(token)[0]["kid"]


# ---- clients ------------------------------------------------------------------------------------------------------

async def plain(gw: Gw, token: str, subscribe: bool = True) -> Client:
    client = await open_client(gw.ws_url)
    reply = await client.auth(token)
    assert reply["type"] == "auth_success", f"plain auth on {gw.name}: {reply}"
    if subscribe:
        reply = await client.subscribe("whale_activity")
        assert reply["type"] == "subscription_confirmed", f"subscribe on {gw.name}: {reply}"
    return client


async def sio(gw: Gw, token: str, subscribe: bool = True) -> SioClient:
    # reconnecting: after a transport loss it would come back (and show up in connects / connect_errors); after a
    # server DISCONNECT it must not
    client = SioClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.2, randomization_factor=0)
    await client.connect(gw.http, auth={"token": token, "offsets": False}, transports=["websocket"])
    if subscribe:
        check_envelope(await client.call("subscribe_whale_activity", {}), "subscription_confirmed")
    return client


def is_event(run: str, n: int):
    return lambda d: isinstance(d, dict) and d.get("run") == run and d.get("n") == n


async def plain_gets(client: Client, run: str, n: int, who: str) -> None:
    await client.event(WHALE_EVENT, 5, is_event(run, n), what=f"whale alert n={n} of run {run} on {who}")


async def sio_gets(client: SioClient, run: str, n: int, who: str) -> None:
    await client.event(WHALE_EVENT, 0, 5, where=is_event(run, n), what=f"whale alert n={n} of run {run} on {who}")


async def plain_revoked(client: Client, started: float, who: str) -> tuple[float, dict, int | None]:
    msg = await client.wait_for(lambda m: m["type"] == "error", 3, f"the revocation error on {who}")
    elapsed = time.monotonic() - started
    code = await client.closed(timeout=3)
    return elapsed, msg, code


async def sio_disconnected(client: SioClient, started: float, who: str, timeout: float = 3) -> float:
    deadline = started + timeout
    while client.disconnects == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert client.disconnects >= 1 and client.disconnected_at is not None, \
        f"{who}: Socket.IO client still connected {timeout}s after the revocation; {client.summary()}"
    return client.disconnected_at - started


async def check_plain_closed(client: Client, started: float, who: str) -> None:
    elapsed, msg, code = await plain_revoked(client, started, who)
    assert msg["error"] == {"code": "AUTH_FAILED", "message": "token revoked"}, f"{who}: {msg}"
    assert code == 4001, f"{who}: close code after revocation: {code}"
    assert elapsed <= REVOCATION_BOUND_S, f"{who}: told {elapsed:.3f}s after the revocation"


async def check_sio_closed(client: SioClient, started: float, who: str) -> None:
    elapsed = await sio_disconnected(client, started, who)
    assert elapsed <= REVOCATION_BOUND_S, f"{who}: disconnected {elapsed:.3f}s after the revocation"
    await asyncio.sleep(0.6)  # three reconnection delays
    assert client.connects == 1 and not client.connect_errors, \
        f"{who}: the client tried to reconnect (a transport loss, not a server DISCONNECT): {client.connect_errors}"


async def plain_auth_reply(gw: Gw, token: str) -> dict:
    client = await open_client(gw.ws_url)
    try:
        return await client.auth(token)
    finally:
        await client.close()


async def assert_plain_refused(gw: Gw, token: str, what: str, message_has: str = "") -> dict:
    reply = await plain_auth_reply(gw, token)
    assert reply["type"] == "auth_error" and reply["error"]["code"] == "AUTH_FAILED", f"{gw.name}, {what}: {reply}"
    assert message_has.lower() in reply["error"]["message"].lower(), f"{gw.name}, {what}: {reply}"
    return reply


async def assert_plain_accepted(gw: Gw, token: str, what: str) -> None:
    reply = await plain_auth_reply(gw, token)
    assert reply["type"] == "auth_success", f"{gw.name}, {what}: {reply}"


async def sio_connect_answer(gw: Gw, token: str) -> str:
    """A raw Socket.IO CONNECT with ``{"token", "offsets": false}``: the server's answer frame."""
    ws = await connect(gw.eio_ws_url, open_timeout=5, close_timeout=2, ping_interval=None, compression=None,
                       proxy=None)
    try:
        frame = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(frame, str) and frame.startswith("0{"), f"not an Engine.IO open packet: {frame!r}"
        await ws.send("40" + json.dumps({"token": token, "offsets": False}))
        while True:
            frame = await asyncio.wait_for(ws.recv(), 5)
            if frame != "2":  # a ping is not the answer
                return str(frame)
    finally:
        await ws.close()


async def assert_sio_refused(gw: Gw, token: str, what: str) -> None:
    frame = await sio_connect_answer(gw, token)
    assert frame == '44{"message":"Authentication failed"}', f"Socket.IO CONNECT on {gw.name} with {what}: {frame!r}"


async def assert_sio_accepted(gw: Gw, token: str, what: str) -> None:
    frame = await sio_connect_answer(gw, token)
    assert frame.startswith("40{") and isinstance(json.loads(frame[2:]).get("sid"), str), \
        f"Socket.IO CONNECT on {gw.name} with {what}: {frame!r}"


async def close_all(*clients: Any) -> None:
    for c in clients:
        try:
            await c.close()
        except Exception:  # noqa: BLE001 - already gone
            pass


# ==================================================================================================================
# refresh and reuse
# ==================================================================================================================

@pytest.mark.timeout(30)
async def test_refresh_in_band_on_both_gateways_then_reuse_revokes_the_family_everywhere(
        stack: Stack, gws: dict[str, Gw]) -> None:
    """Plain on A and Socket.IO on B re-authenticate in-band with the refreshed token and keep their subscription;
    two more connections (Socket.IO on A, plain on B) stay on the first token. Reusing the first refresh token:
    401 REFRESH_TOKEN_REUSED, all four connections closed within 1 s, a bystander's stays, and both access tokens
    are refused for new connections on A and B (plain and Socket.IO)."""
    A, B = gws["A"], gws["B"]
    sub, bystander = uid("tl-refresh"), uid("tl-bystander")
    first = mint_pair(stack.auth_url, sub)
    pub = Publisher(stack)
    pa = await plain(A, first["token"])
    sb = await sio(B, first["token"])
    sa_old = await sio(A, first["token"])
    pb_old = await plain(B, first["token"])
    other = await plain(B, stack.mint(bystander))
    try:
        await pub.publish()  # n=0: everyone subscribed receives it
        await asyncio.gather(plain_gets(pa, pub.run, 0, "plain A"), sio_gets(sb, pub.run, 0, "Socket.IO B"))

        resp = await asyncio.to_thread(post, f"{stack.auth_url}/v1/refresh", {"refreshToken": first["refreshToken"]},
                                       False)
        assert resp.status_code == 200, f"POST /v1/refresh -> {resp.status_code}: {resp.text}"
        second = resp.json()
        assert jti(second["token"]) != jti(first["token"]) and second["refreshToken"] != first["refreshToken"], second

        # in-band on the open connections
        reply = await pa.auth(second["token"])
        assert reply["type"] == "auth_success", f"in-band auth on A with the refreshed token: {reply}"
        mark = sb.mark()
        await sb.sio.emit("authenticate", {"token": second["token"]})
        data = await sb.event("auth_success", mark, timeout=5, what="auth_success after authenticate on B")
        assert data.get("userId") == sub, data
        assert not sb.events_named("auth_error", mark) and not sb.events_named("error", mark), sb.summary(mark)

        await pub.publish()  # n=1: the subscriptions survived the re-authentication
        await asyncio.gather(plain_gets(pa, pub.run, 1, "plain A after the in-band refresh"),
                             sio_gets(sb, pub.run, 1, "Socket.IO B after the in-band refresh"))

        # reuse of the first refresh token
        started = time.monotonic()
        reused = await asyncio.to_thread(post, f"{stack.auth_url}/v1/refresh",
                                         {"refreshToken": first["refreshToken"]}, False)
        assert reused.status_code == 401, f"reuse -> {reused.status_code}: {reused.text}"
        assert reused.json()["error"]["code"] == "REFRESH_TOKEN_REUSED", reused.text
        await asyncio.gather(
            check_plain_closed(pa, started, "plain A (refreshed token)"),
            check_sio_closed(sb, started, "Socket.IO B (refreshed token)"),
            check_sio_closed(sa_old, started, "Socket.IO A (first token)"),
            check_plain_closed(pb_old, started, "plain B (first token)"),
        )
        await other.ping()  # another user's connection stays
        await pub.publish()
        await plain_gets(other, pub.run, 2, "the bystander on B")

        for token, what in ((first["token"], "the first token of a reused family"),
                            (second["token"], "the refreshed token of a reused family")):
            for gw in (A, B):
                await assert_plain_refused(gw, token, what)
                await assert_sio_refused(gw, token, what)
    finally:
        await close_all(pa, sb, sa_old, pb_old, other, pub)


# ==================================================================================================================
# revoke by jti and by sub
# ==================================================================================================================

@pytest.mark.timeout(30)
async def test_revoke_jti_closes_that_tokens_connections_on_both_gateways(stack: Stack, gws: dict[str, Gw]) -> None:
    """``POST /v1/revoke {"jti"}``: plain on A and Socket.IO on B with that token are closed within 1 s (plus
    Socket.IO on A and plain on B); the same user's other token stays connected on both gateways and keeps
    receiving; the revoked token is refused for new connections on A and B."""
    A, B = gws["A"], gws["B"]
    sub = uid("tl-revjti")
    token, keep = stack.mint(sub), stack.mint(sub)
    pub = Publisher(stack)
    victims = [await plain(A, token), await sio(B, token), await sio(A, token), await plain(B, token)]
    keepers = [await plain(A, keep), await sio(B, keep)]
    try:
        started = time.monotonic()
        resp = await asyncio.to_thread(post, f"{stack.auth_url}/v1/revoke", {"jti": jti(token)})
        assert resp.status_code == 200, f"POST /v1/revoke -> {resp.status_code}: {resp.text}"
        await asyncio.gather(check_plain_closed(victims[0], started, "plain A"),
                             check_sio_closed(victims[1], started, "Socket.IO B"),
                             check_sio_closed(victims[2], started, "Socket.IO A"),
                             check_plain_closed(victims[3], started, "plain B"))
        await pub.publish()
        await asyncio.gather(plain_gets(keepers[0], pub.run, 0, "plain A, the user's other token"),
                             sio_gets(keepers[1], pub.run, 0, "Socket.IO B, the user's other token"))
        assert keepers[1].disconnects == 0, keepers[1].summary()
        for gw in (A, B):
            await assert_plain_refused(gw, token, "a token revoked by jti")
            await assert_sio_refused(gw, token, "a token revoked by jti")
    finally:
        await close_all(*victims, *keepers, pub)


@pytest.mark.timeout(30)
async def test_revoke_sub_closes_all_the_users_connections_on_both_gateways(stack: Stack, gws: dict[str, Gw]) -> None:
    """``POST /v1/revoke {"sub"}``: every connection of the user (two tokens, plain and Socket.IO, on A and B) is
    closed within 1 s; another user's connections on A and B stay open and keep receiving."""
    A, B = gws["A"], gws["B"]
    sub, bystander = uid("tl-revsub"), uid("tl-bystander")
    t1, t2 = stack.mint(sub), stack.mint(sub)
    b1 = stack.mint(bystander)
    pub = Publisher(stack)
    victims = [await plain(A, t1), await sio(B, t1), await plain(B, t2), await sio(A, t2)]
    others = [await plain(A, b1), await sio(B, b1)]
    try:
        started = time.monotonic()
        resp = await asyncio.to_thread(post, f"{stack.auth_url}/v1/revoke", {"sub": sub})
        assert resp.status_code == 200, f"POST /v1/revoke -> {resp.status_code}: {resp.text}"
        assert resp.json()["revoked"]["sub"] == sub, resp.text
        await asyncio.gather(check_plain_closed(victims[0], started, "plain A (t1)"),
                             check_sio_closed(victims[1], started, "Socket.IO B (t1)"),
                             check_plain_closed(victims[2], started, "plain B (t2)"),
                             check_sio_closed(victims[3], started, "Socket.IO A (t2)"))
        await others[0].ping()
        await pub.publish()
        await asyncio.gather(plain_gets(others[0], pub.run, 0, "plain A, another user"),
                             sio_gets(others[1], pub.run, 0, "Socket.IO B, another user"))
        assert others[1].disconnects == 0, others[1].summary()
        for gw in (A, B):
            for token in (t1, t2):
                await assert_plain_refused(gw, token, "a token of a revoked user")
            await assert_sio_refused(gw, t2, "a token of a revoked user")
    finally:
        await close_all(*victims, *others, pub)


# ==================================================================================================================
# key rotation and retirement
# ==================================================================================================================

async def wait_accepted(gws: dict[str, Gw], token: str, started: float, what: str, bound: float) -> float:
    """Polls plain auth with ``token`` on every gateway until it is accepted; the seconds since ``started``."""
    last: dict[str, Any] = {}
    pending = set(gws)
    while pending:
        for name in sorted(pending):
            last[name] = await plain_auth_reply(gws[name], token)
            if last[name]["type"] == "auth_success":
                pending.discard(name)
        if not pending:
            break
        if time.monotonic() - started > bound + 2:
            break
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    assert not pending, f"{what}: still refused on {sorted(pending)} {elapsed:.2f}s later: {last}"
    return elapsed


@pytest.mark.timeout(30)
async def test_key_rotation_new_kid_verifies_on_both_gateways_old_connections_and_tokens_keep_working(
        stack: Stack, gws: dict[str, Gw]) -> None:
    """With plain on A and Socket.IO on B open with a K1 token, ``POST /v1/keys/rotate``: a token minted next has a new
    kid and authenticates (plain and Socket.IO) on both gateways within about a second, no restart; the K1
    connections stay open and keep receiving; a new connection with the K1 token still authenticates on both."""
    A, B = gws["A"], gws["B"]
    pids = {name: gw.proc.pid for name, gw in gws.items()}
    sub = uid("tl-rotate")
    k1_token = stack.mint(sub)
    k1 = kid(k1_token)
    pub = Publisher(stack)
    pa, sb = await plain(A, k1_token), await sio(B, k1_token)
    try:
        unauthorized = await asyncio.to_thread(post, f"{stack.auth_url}/v1/keys/rotate", None, False)
        assert unauthorized.status_code == 401, f"rotate without the admin key -> {unauthorized.status_code}"

        started = time.monotonic()
        resp = await asyncio.to_thread(post, f"{stack.auth_url}/v1/keys/rotate")
        assert resp.status_code == 200, f"POST /v1/keys/rotate -> {resp.status_code}: {resp.text}"
        rotated = resp.json()
        assert rotated.get("previous") == k1 and rotated.get("kid") not in (None, k1), rotated

        k2_token = stack.mint(sub)
        header = jwtutil.decode(k2_token)[0]
        assert header["kid"] == rotated["kid"] and header["kid"] != k1, (header, rotated)
        elapsed = await wait_accepted(gws, k2_token, started, "a token of the new key", ANNOUNCEMENT_BOUND_S)
        assert elapsed <= ANNOUNCEMENT_BOUND_S, f"the new kid verified on both gateways only {elapsed:.2f}s after rotating"
        for gw in (A, B):
            await assert_sio_accepted(gw, k2_token, "a token of the new key")

        # the K1 connections are untouched and keep receiving
        await pa.ping()
        await pub.publish()
        await asyncio.gather(plain_gets(pa, pub.run, 0, "plain A (K1) after the rotation"),
                             sio_gets(sb, pub.run, 0, "Socket.IO B (K1) after the rotation"))
        assert sb.disconnects == 0 and sb.sio.connected, sb.summary()
        # a new connection with the K1 token still authenticates
        for gw in (A, B):
            await assert_plain_accepted(gw, k1_token, "a K1 token after the rotation")
            await assert_sio_accepted(gw, k1_token, "a K1 token after the rotation")
        assert {name: gw.proc.pid for name, gw in gws.items()} == pids and all(gw.proc.alive() for gw in gws.values())
    finally:
        await close_all(pa, sb, pub)


@pytest.fixture()
def retiring_auth(stack: Stack) -> Iterator[str]:
    """A second coindaily-auth on the stack's Redis, own key directory, ``--key-retire-after 3``; its URL."""
    port = free_port()
    keys = stack.root / f"auth-keys-{uid('retire')}"
    keys.mkdir()
    proc = stack.start_extra("auth-retire", [
        binary("coindaily-auth"), "--host", "127.0.0.1", "--port", str(port), "--dev", "--key-dir", str(keys),
        "--redis-url", stack.redis_url, "--log-level", LOG_LEVEL, "--key-retire-after", str(RETIRE_AFTER_S),
    ])
    url = f"http://127.0.0.1:{port}"
    wait_until("auth-retire /healthz", lambda: http_status(f"{url}/healthz") == 200, STARTUP_DEADLINE, [proc])
    yield url
    proc.stop(5)


@pytest.mark.timeout(40)
async def test_retired_key_is_refused_on_both_gateways(stack: Stack, gws: dict[str, Gw], retiring_auth: str) -> None:
    """Second auth instance, retire window 3 s: its K1 token works on both gateways; after ``POST /v1/keys/rotate``
    K1 is removed from ``cd:auth:jwks`` about 3 s later, and from then (within 1 s) a new connection with the K1
    token is refused on A and B (plain ``auth_error`` AUTH_FAILED "unknown signing key", Socket.IO
    CONNECT_ERROR), the K2 token is accepted, and the connections opened with K1 before are left open."""
    A, B = gws["A"], gws["B"]
    sub = uid("tl-retire")
    k1_token = mint_pair(retiring_auth, sub)["token"]
    k1 = kid(k1_token)
    await wait_accepted(gws, k1_token, time.monotonic(), "the new auth instance's first key", 5)
    pub = Publisher(stack)
    pa, sb = await plain(A, k1_token), await sio(B, k1_token)
    r = stack.redis()
    try:
        resp = await asyncio.to_thread(post, f"{retiring_auth}/v1/keys/rotate")
        assert resp.status_code == 200, f"POST /v1/keys/rotate -> {resp.status_code}: {resp.text}"
        rotated = resp.json()
        assert rotated.get("previous") == k1, rotated
        k2_token = mint_pair(retiring_auth, sub)["token"]
        assert kid(k2_token) == rotated["kid"] != k1

        # retirement: HDEL of K1 (polled; the window is whole seconds, checked every second)
        deadline = time.monotonic() + RETIRE_AFTER_S + 5
        while await asyncio.to_thread(r.hexists, "cd:auth:jwks", k1):
            assert time.monotonic() < deadline, \
                f"kid {k1} still in cd:auth:jwks {RETIRE_AFTER_S + 5}s after the rotation (retire window {RETIRE_AFTER_S}s)"
            await asyncio.sleep(0.05)
        removed = time.monotonic()
        # every gateway refuses K1 within a second of the removal (the announcement follows the HDEL)
        pending, last = {"A", "B"}, {}
        while pending and time.monotonic() - removed < 3:
            for name in sorted(pending):
                last[name] = await plain_auth_reply(gws[name], k1_token)
                if last[name]["type"] == "auth_error":
                    pending.discard(name)
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - removed
        assert not pending, f"K1 token still accepted on {sorted(pending)} {elapsed:.2f}s after its kid left the hash: {last}"
        assert elapsed <= REVOCATION_BOUND_S + 0.2, f"K1 refused on both gateways only {elapsed:.2f}s after retirement"
        for gw in (A, B):
            await assert_plain_refused(gw, k1_token, "a token of a retired key", "unknown signing key")
            await assert_sio_refused(gw, k1_token, "a token of a retired key")
            await assert_plain_accepted(gw, k2_token, "a token of the new key")
            await assert_sio_accepted(gw, k2_token, "a token of the new key")

        # connections opened with K1 before its retirement are not touched
        await pa.ping()
        await pub.publish()
        await asyncio.gather(plain_gets(pa, pub.run, 0, "plain A (K1, retired)"),
                             sio_gets(sb, pub.run, 0, "Socket.IO B (K1, retired)"))
        assert sb.disconnects == 0, sb.summary()
    finally:
        r.close()
        await close_all(pa, sb, pub)
