"""Helpers of test_security.py: extra gateways with other limits, raw upgrades and polling handshakes with chosen
headers, raw client frames, revocation, publishing events through the history script, /metrics counters and audit
lines.

Nothing here changes the shared stack (cdstack.py): extra gateways are ``stack.start_extra`` processes on the
stack's Redis, stopped by the module fixture that started them.
"""

from __future__ import annotations

import json
import os
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import redis as redis_lib
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from cdstack import ADMIN_KEY, HTTP, STARTUP_DEADLINE, Proc, Stack, free_port, wait_until
from delivery_support import publish_script

# ---- extra gateways --------------------------------------------------------------------------------------------


@dataclass
class Gateway:
    """A gateway process of the security tests (or the stack's own, with ``proc`` the stack's)."""

    name: str
    port: int
    proc: Proc
    flags: list[str] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def polling_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ws/?EIO=4&transport=polling"

    @property
    def eio_ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/?EIO=4&transport=websocket"

    def log(self) -> str:
        return self.proc.log_text()


def gateway_argv(stack: Stack, port: int, flags: list[str], jwt_secret: bool = True) -> list[str]:
    """The stack's gateway command line plus ``flags``; without ``--jwt-secret`` when ``jwt_secret`` is false."""
    argv = stack.gateway_argv(port)
    if not jwt_secret:
        i = argv.index("--jwt-secret")
        del argv[i:i + 2]
    return argv + flags


def start_gateways(stack: Stack, specs: dict[str, tuple[list[str], bool]]) -> dict[str, Gateway]:
    """Starts one gateway per ``name: (flags, jwt_secret)`` at once and waits until every one is ready."""
    gateways: dict[str, Gateway] = {}
    for name, (flags, secret) in specs.items():
        port = free_port()
        proc = stack.start_extra(f"gateway-{name}", gateway_argv(stack, port, flags, secret))
        gateways[name] = Gateway(name, port, proc, flags)
    for gw in gateways.values():
        wait_until(f"{gw.proc.name} /readyz", lambda gw=gw: HTTP.get(f"{gw.http}/readyz", timeout=2).status_code == 200,
                   STARTUP_DEADLINE, [gw.proc])
    return gateways


# ---- upgrades and polling handshakes with chosen headers ---------------------------------------------------------


@dataclass
class Upgrade:
    """The outcome of one WebSocket upgrade request: the open connection (101) or the refusal."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    conn: ClientConnection | None = None

    def error(self) -> dict:
        """The refusal's ``{"error":{"code","message"}}`` (checked to be that shape)."""
        doc = json.loads(self.body)
        assert isinstance(doc, dict) and set(doc) == {"error"}, f"refusal body: {self.body!r}"
        err = doc["error"]
        assert isinstance(err.get("code"), str) and isinstance(err.get("message"), str) and err["message"], doc
        return err

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


async def upgrade(url: str, headers: dict[str, str] | None = None) -> Upgrade:
    """A WebSocket upgrade of ``url`` with extra request ``headers``: 101 keeps the connection open (close it)."""
    try:
        conn = await connect(url, additional_headers=headers or {}, open_timeout=5, close_timeout=2,
                             ping_interval=None, compression=None, proxy=None)
    except InvalidStatus as exc:
        resp = exc.response
        return Upgrade(resp.status_code, bytes(resp.body or b""), {k.lower(): v for k, v in resp.headers.raw_items()})
    return Upgrade(101, conn=conn)


def polling_handshake(url: str, headers: dict[str, str] | None = None) -> Any:
    """GET of an Engine.IO polling handshake (a ``requests.Response``)."""
    return HTTP.get(url, headers=headers or {}, timeout=5)


# ---- raw client frames ------------------------------------------------------------------------------------------


def masked_text_frame(text: str) -> bytes:
    """One client text frame (FIN set, masked as RFC 6455 requires of clients) carrying ``text``: several of them
    joined go out in one write (``Client.send_raw``), so the gateway reads them all at once."""
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# ---- revocation ------------------------------------------------------------------------------------------------


def revoke(stack: Stack, body: dict) -> dict:
    """``POST /v1/revoke`` with the admin key (``{"jti": …}`` or ``{"sub": …}``); the answer's ``revoked``. Anything
    but 200 fails the calling test (the auth service writes and announces the revocation, docs/security.md)."""
    resp = HTTP.post(f"{stack.auth_url}/v1/revoke", data=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_KEY}"}, timeout=5)
    assert resp.status_code == 200, f"POST /v1/revoke {body} -> {resp.status_code}: {resp.text}"
    return resp.json()["revoked"]


# ---- publishing events the way producers do ------------------------------------------------------------------------

def history_publish_script() -> str:
    """``EventHistory.publishScript`` (read from the Swift source, so it cannot drift): ARGV json, maxlen,
    maxage_ms, channels…; returns the event id. One reader of the Swift source: delivery_support's."""
    return publish_script()


def publish_event(r: redis_lib.Redis, channel: str, type_: str, data: dict, maxlen: int = 200,
                  maxage_ms: int = 10_000, script: str | None = None) -> str:
    """Publishes ``{"type", "data", "timestamp"}`` on ``channel`` through the history script."""
    envelope = json.dumps({"type": type_, "data": data, "timestamp": int(time.time() * 1000)})
    return r.eval(script or history_publish_script(), 0, envelope, maxlen, maxage_ms, channel)


# ---- /metrics and logs -----------------------------------------------------------------------------------------


def metric(gateway_http: str, name: str, **labels: str) -> float:
    """One sample of the Prometheus text on /metrics (0 when absent)."""
    text = HTTP.get(f"{gateway_http}/metrics", timeout=5).text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = (m.group(2) or "{}")[1:-1]
        if all(f'{k}="{v}"' in got for k, v in labels.items()) or (not want and not got):
            total += float(m.group(3))
    return total


def limit_hits(gateway_http: str, limit: str) -> float:
    return metric(gateway_http, "coindaily_gateway_limit_hits_total", limit=limit)


def audit_lines(log: str, event: str) -> list[str]:
    """The gateway log lines with ``audit=<event>``."""
    return [line for line in log.splitlines() if re.search(rf"\baudit={re.escape(event)}\b", line)]


def wait_for_audit(proc: Proc, event: str, more_than: int, timeout: float = 3.0, where: str = "") -> list[str]:
    """Waits until the log holds more than ``more_than`` ``audit=<event>`` lines (containing ``where``)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in audit_lines(proc.log_text(), event) if where in line]
        if len(lines) > more_than:
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"no new audit={event} line{' with ' + where if where else ''} in {proc.log_path} "
                                 f"within {timeout}s (had {more_than}); last lines:\n{proc.log_tail(15)}")
        time.sleep(0.05)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


__all__ = [
    "Gateway", "Upgrade", "audit_lines", "gateway_argv", "history_publish_script", "limit_hits",
    "masked_text_frame", "metric", "percentile", "polling_handshake", "publish_event", "revoke", "start_gateways",
    "upgrade", "wait_for_audit",
]
