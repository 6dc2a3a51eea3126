"""coindaily-whale end to end: HTTP and stream ingest -> Redis -> gateway -> WebSocket clients.

Shows the gateway's whale filters (a ``minAmount`` holding back a smaller transfer while a larger one is
delivered, and ``tokens``), the exact alert payload, that one transaction alerts once (also after a
producer restart), and that prices from ticks are remembered across that restart.

Tokens used only here: PEPE, DOGE, FLOKI, BONK, SHIB, WIF (all in the gateway's built-in symbol list).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

from cdstack import (HTTP, LOG_LEVEL, STARTUP_DEADLINE, Proc, Stack, binary, free_port, http_status, now_ms,
                     wait_until)
from wsclient import Client, session

BINANCE = "0xb1a0000000000000000000000000000000000001"  # in the built-in address book
COINBASE = "0xc0b0000000000000000000000000000000000001"
KRAKEN_SOL = "KrakenHotWa11etSo1ana11111111111111111111111"
WALLET_A = "0x58292d228d193bdf127ea5a4ca5de9e9c0767169"
WALLET_B = "0x54baed2d4850eb83f499427f2320b9d12248f277"
ALERT = "whale_activity_alert"
SPEC_FIELDS = {"token", "type", "amount", "amountUSD", "from", "to", "txHash", "exchange", "impact", "timestamp"}


@dataclass
class Whale:
    stack: Stack
    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [binary("coindaily-whale"), "--host", "127.0.0.1", "--port", str(self.port),
                "--redis-url", self.stack.redis_url, "--instance", "interop-whale", "--log-level", LOG_LEVEL]

    def ingest(self, body: object):
        return HTTP.post(f"{self.url}/v1/ingest", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"}, timeout=5)

    def ingest_ok(self, body: object) -> None:
        resp = self.ingest(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"

    def wait_healthy(self) -> None:
        wait_until("whale /healthz", lambda: http_status(f"{self.url}/healthz") == 200, STARTUP_DEADLINE, [self.proc])

    def restart(self) -> None:
        status = self.proc.stop(10)
        assert status == 0, f"coindaily-whale exited with {status} on SIGTERM"
        self.proc = self.stack.start_extra("whale", self.argv())
        self.wait_healthy()


@pytest.fixture(scope="module")
def whale(stack: Stack):
    w = Whale(stack, free_port(), None)  # type: ignore[arg-type]
    w.proc = stack.start_extra("whale", w.argv())
    w.wait_healthy()
    yield w
    w.proc.stop(10)


def tx() -> str:
    return "0x" + os.urandom(32).hex()


def transfer(token: str, amount: float, *, price: float | None = None, frm: str = WALLET_A, to: str = WALLET_B,
             tx_hash: str | None = None, timestamp: int | None = None) -> dict:
    item = {"token": token, "amount": amount, "from": frm, "to": to, "txHash": tx_hash or tx(),
            "timestamp": timestamp if timestamp is not None else now_ms() - 1000}
    if price is not None:
        item["priceUSD"] = price
    return item


def tick(token: str, price: float, volume: float | None = None) -> dict:
    item = {"kind": "price", "token": token, "price": price, "timestamp": now_ms()}
    if volume is not None:
        item["volume24h"] = volume
    return item


async def subscribed(client: Client, data: dict) -> None:
    reply = await client.subscribe("whale_activity", data)
    assert reply["type"] == "subscription_confirmed", reply
    assert reply["data"]["channel"] == "whale_activity", reply


async def next_alert(client: Client, timeout: float = 10) -> dict:
    """The next whale alert this client receives, whatever it is."""
    msg = await client.event(ALERT, timeout)
    # "id" and "room" come from the history (docs/delivery.md).
    assert set(msg) <= {"type", "data", "timestamp", "id", "room"}, msg
    assert msg["room"] == "whale_activity" and ":" in msg["id"], msg
    assert set(msg["data"]) <= SPEC_FIELDS, f"fields outside the spec: {sorted(set(msg['data']) - SPEC_FIELDS)}"
    return msg["data"]


# ---- the filter case -----------------------------------------------------------------------------

async def test_min_amount_holds_back_the_smaller_transfer_and_tokens_filter(stack: Stack, whale: Whale) -> None:
    async with session(stack) as big_pepe, session(stack) as doge_only, session(stack) as everything:
        await subscribed(big_pepe, {"tokens": ["PEPE"], "minAmount": 500000})
        await subscribed(doge_only, {"tokens": ["DOGE"]})
        await subscribed(everything, {})

        whale.ingest_ok(tick("PEPE", 0.00001, volume=80_000_000))
        small = transfer("PEPE", 2e10, frm=WALLET_A, to=COINBASE)           # 200 000 USD: a sell
        large = transfer("PEPE", 1e11, frm=BINANCE, to=WALLET_A)            # 1 000 000 USD: a buy
        whale.ingest_ok(small)
        whale.ingest_ok(large)

        # The unfiltered client sees both, in order: the small one was really published.
        first, second = await next_alert(everything), await next_alert(everything)
        assert (first["txHash"], second["txHash"]) == (small["txHash"], large["txHash"]), (first, second)
        assert first == {"token": "PEPE", "type": "sell", "amount": 2e10, "amountUSD": 200000, "from": WALLET_A,
                         "to": COINBASE, "txHash": small["txHash"], "exchange": "Coinbase", "impact": "medium",
                         "timestamp": small["timestamp"]}, first

        # minAmount 500 000: the first alert this client gets is the large one; the small one was held back.
        got = await next_alert(big_pepe)
        assert got == {"token": "PEPE", "type": "buy", "amount": 1e11, "amountUSD": 1000000, "from": BINANCE,
                       "to": WALLET_A, "txHash": large["txHash"], "exchange": "Binance", "impact": "high",
                       "timestamp": large["timestamp"]}, got

        # Token filter: DOGE reaches the DOGE subscriber (its first alert: no PEPE before it), not the PEPE one.
        doge = transfer("DOGE", 5_000_000, price=0.2, frm=WALLET_B, to=WALLET_A)  # 1 000 000 USD, no exchange
        marker = transfer("PEPE", 1e11, price=0.00001)
        whale.ingest_ok(doge)
        whale.ingest_ok(marker)
        got = await next_alert(doge_only)
        assert got == {"token": "DOGE", "type": "transfer", "amount": 5000000, "amountUSD": 1000000,
                       "from": WALLET_B, "to": WALLET_A, "txHash": doge["txHash"], "impact": "medium",
                       "timestamp": doge["timestamp"]}, got
        got = await next_alert(big_pepe)
        assert got["txHash"] == marker["txHash"], f"the PEPE-only subscriber received {got}"


# ---- idempotency ---------------------------------------------------------------------------------------

async def test_the_same_tx_hash_alerts_once_over_http_and_the_stream(stack: Stack, whale: Whale) -> None:
    async with session(stack) as client:
        await subscribed(client, {"tokens": ["SHIB"]})
        item = transfer("SHIB", 2e10, price=0.00002)  # 400 000 USD
        whale.ingest_ok(item)
        assert (await next_alert(client))["txHash"] == item["txHash"]

        whale.ingest_ok(item)                                       # an HTTP retry
        whale.ingest_ok({**item, "txHash": item["txHash"].upper().replace("0X", "0x")})  # same hash, other case
        r = stack.redis()
        try:
            r.xadd("cd:ingest:whale", {"payload": json.dumps(item)})  # a redelivery through the stream
        finally:
            r.close()
        marker = transfer("SHIB", 3e10, price=0.00002)
        r = stack.redis()
        try:
            r.xadd("cd:ingest:whale", {"payload": json.dumps([marker])})
        finally:
            r.close()
        got = await next_alert(client, 15)
        assert got["txHash"] == marker["txHash"], f"a repeated transaction alerted again: {got}"


# ---- prices and validation -----------------------------------------------------------------------------

def test_a_transfer_without_any_known_price_is_rejected_naming_price_usd(whale: Whale) -> None:
    resp = whale.ingest([tick("WIF", 2.0), transfer("FLOKI", 1e9)])
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == "priceUSD" and error["index"] == 1, error
    assert "priceUSD" in error["message"] and "FLOKI" in error["message"], error


@pytest.mark.parametrize("field,item", [
    ("amount", {**transfer("WIF", 1, price=1), "amount": -1}),
    ("amount", {**transfer("WIF", 1, price=1), "amount": "10"}),
    ("txHash", {k: v for k, v in transfer("WIF", 1, price=1).items() if k != "txHash"}),
    ("from", {**transfer("WIF", 1, price=1), "from": ""}),
    ("timestamp", {**transfer("WIF", 1, price=1), "timestamp": "now"}),
    ("priceUSD", {**transfer("WIF", 1, price=1), "priceUSD": 0}),
    ("price", {"kind": "price", "token": "WIF", "price": True, "timestamp": 1700000000000}),
], ids=["amount-negative", "amount-string", "txHash-missing", "from-empty", "timestamp-string", "priceUSD-zero",
        "price-boolean"])
def test_bad_items_are_rejected_naming_the_field(whale: Whale, field: str, item: dict) -> None:
    resp = whale.ingest(item)
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == field and field in error["message"], error


async def test_price_ticks_value_transfers_and_survive_a_restart(stack: Stack, whale: Whale) -> None:
    async with session(stack) as client:
        await subscribed(client, {"tokens": ["BONK"]})
        first = transfer("BONK", 1e10, frm=WALLET_A, to=KRAKEN_SOL)   # valued by the tick of the same batch
        whale.ingest_ok([tick("BONK", 0.00002, volume=100_000_000), first])
        got = await next_alert(client)
        assert got["txHash"] == first["txHash"] and got["amountUSD"] == 200000, got
        assert got["type"] == "sell" and got["exchange"] == "Kraken" and got["impact"] == "medium", got

        whale.restart()

        whale.ingest_ok(first)                                        # remembered: no second alert
        second = transfer("BONK", 6e10)                               # no priceUSD: the stored tick values it
        whale.ingest_ok(second)
        got = await next_alert(client, 15)
        assert got["txHash"] == second["txHash"], f"expected only the new transfer after the restart, got {got}"
        assert got["amountUSD"] == 1200000 and got["impact"] == "high", got


def test_whale_health_and_metrics(whale: Whale) -> None:
    assert HTTP.get(f"{whale.url}/healthz", timeout=5).status_code == 200
    assert HTTP.get(f"{whale.url}/readyz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{whale.url}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "coindaily_whale_transfers_total" in metrics.text, metrics.text[:800]
