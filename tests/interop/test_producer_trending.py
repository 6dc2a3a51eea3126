"""coindaily-trending end to end: market samples (HTTP and stream) + sentiment -> rankings every second ->
gateway -> WebSocket clients filtered by timeframe; snapshots and the rank hash in Redis; the sentiment
producer's trendingRank fed from it; history surviving a producer restart.

Coins ingested only here: PEPE (rising), WIF (flat), BONK (falling), FLOKI (stream test).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from cdstack import (HTTP, LOG_LEVEL, STARTUP_DEADLINE, Proc, Stack, binary, free_port, http_status, now_ms,
                     signal_item, wait_until)
from wsclient import Client, session

UPDATE = "trending_memecoins_update"
COIN_FIELDS = {"token", "rank", "sentimentScore", "volume24h", "priceChange24h", "trendingScore"}
MINUTE = 60_000


@dataclass
class Trending:
    stack: Stack
    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [binary("coindaily-trending"), "--host", "127.0.0.1", "--port", str(self.port), "--interval-ms", "1000",
                "--redis-url", self.stack.redis_url, "--instance", "interop-trending", "--log-level", LOG_LEVEL]

    def ingest(self, body: object):
        return HTTP.post(f"{self.url}/v1/ingest", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"}, timeout=5)

    def ingest_ok(self, body: object) -> None:
        resp = self.ingest(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"

    def wait_healthy(self) -> None:
        wait_until("trending /healthz", lambda: http_status(f"{self.url}/healthz") == 200, STARTUP_DEADLINE, [self.proc])

    def restart(self) -> None:
        status = self.proc.stop(10)
        assert status == 0, f"coindaily-trending exited with {status} on SIGTERM"
        self.proc = self.stack.start_extra("trending", self.argv())
        self.wait_healthy()


def sample(token: str, price: float, volume: float, mentions: int, ago_ms: int) -> dict:
    return {"token": token, "price": price, "volume24h": volume, "mentions": mentions, "timestamp": now_ms() - ago_ms}


def market() -> list[dict]:
    return [
        sample("PEPE", 0.00001, 1e8, 40, 50 * MINUTE), sample("PEPE", 0.000013, 3e8, 600, 2 * MINUTE),
        sample("WIF", 2.0, 4e8, 100, 50 * MINUTE), sample("WIF", 2.0, 4e8, 100, 2 * MINUTE),
        sample("BONK", 0.00002, 2e8, 300, 50 * MINUTE), sample("BONK", 0.000016, 1e8, 20, 2 * MINUTE),
    ]


@pytest.fixture(scope="module")
def trending(stack: Stack):
    # Sentiment for PEPE first, so that every ranking sees it.
    stack.ingest_ok([signal_item("PEPE", source, 0.8) for source in ("social", "news", "whale", "technical")])
    r = stack.redis()
    try:
        wait_until("PEPE sentiment stored", lambda: r.get("cd:latest:market_sentiment:PEPE") is not None, 15)
    finally:
        r.close()
    t = Trending(stack, free_port(), None)  # type: ignore[arg-type]
    t.proc = stack.start_extra("trending", t.argv())
    t.wait_healthy()
    t.ingest_ok(market())
    yield t
    t.proc.stop(10)


async def subscribed(client: Client, timeframes: list[str] | None) -> None:
    data = {} if timeframes is None else {"timeframes": timeframes}
    reply = await client.subscribe("trending_memecoins", data)
    assert reply["type"] == "subscription_confirmed", reply


async def update_with(client: Client, timeframe: str, token: str, timeout: float = 15) -> dict:
    msg = await client.event(UPDATE, timeout, lambda d: d.get("timeframe") == timeframe
                             and any(c.get("token") == token for c in d.get("coins", [])),
                             f"a {timeframe} trending update listing {token}")
    return msg["data"]


def assert_update(data: dict, timeframe: str) -> None:
    assert set(data) == {"timeframe", "coins", "timestamp"}, data
    assert data["timeframe"] == timeframe, data
    assert isinstance(data["timestamp"], int) and abs(data["timestamp"] - now_ms()) < 60_000, data
    coins = data["coins"]
    assert 1 <= len(coins) <= 10, data
    for index, coin in enumerate(coins):
        assert set(coin) == COIN_FIELDS, coin
        assert coin["rank"] == index + 1, data
        assert isinstance(coin["token"], str) and -100 <= coin["trendingScore"] <= 100, coin
    scores = [c["trendingScore"] for c in coins]
    assert scores == sorted(scores, reverse=True), f"not ranked by trendingScore: {scores}"


# ---- the ranking and the timeframe filter ----------------------------------------------------------------

async def test_updates_rank_the_coins_and_each_client_gets_only_its_timeframes(stack: Stack, trending: Trending) -> None:
    r = stack.redis()
    try:
        pepe_sentiment = json.loads(r.get("cd:latest:market_sentiment:PEPE"))["score"]
    finally:
        r.close()
    async with session(stack) as hourly, session(stack) as longer:
        await subscribed(hourly, ["1h"])
        await subscribed(longer, ["24h", "7d"])

        data = await update_with(hourly, "1h", "PEPE")
        assert_update(data, "1h")
        tokens = [c["token"] for c in data["coins"]]
        assert tokens[:3] == ["PEPE", "WIF", "BONK"], f"rising PEPE first, falling BONK last: {data}"
        pepe = data["coins"][0]
        assert pepe["volume24h"] == 3e8, pepe
        assert pepe["priceChange24h"] == 30, pepe
        assert pepe["sentimentScore"] == round(pepe_sentiment, 4) and pepe["sentimentScore"] > 0, (pepe, pepe_sentiment)
        bonk = data["coins"][tokens.index("BONK")]
        assert bonk["priceChange24h"] == -20 and bonk["trendingScore"] < 0, bonk

        day = await update_with(longer, "24h", "PEPE")
        assert_update(day, "24h")
        week = await update_with(longer, "7d", "PEPE")
        assert_update(week, "7d")

        # Over the next runs, each client sees only what it asked for.
        for client, wanted in ((hourly, {"1h"}), (longer, {"24h", "7d"})):
            received = await client.collect(2.5)
            frames = {m["data"]["timeframe"] for m in received if m["type"] == UPDATE}
            assert frames == wanted, f"expected {wanted}, got {frames}"


async def test_all_timeframes_without_a_filter(stack: Stack, trending: Trending) -> None:
    async with session(stack) as client:
        await subscribed(client, None)
        seen = set()
        for _ in range(12):
            msg = await client.event(UPDATE, 10)
            seen.add(msg["data"]["timeframe"])
            if len(seen) == 4:
                break
        assert seen == {"1h", "4h", "24h", "7d"}, seen


def test_snapshots_and_the_rank_hash_are_in_redis(stack: Stack, trending: Trending) -> None:
    r = stack.redis()
    try:
        def ranked() -> bool:
            return r.hget("cd:trending:rank", "PEPE") == "1"
        wait_until("PEPE ranked 1 in cd:trending:rank", ranked, 15)
        ranks = r.hgetall("cd:trending:rank")
        assert {"PEPE", "WIF", "BONK"} <= set(ranks), ranks
        for timeframe in ("1h", "4h", "24h", "7d"):
            snapshot = json.loads(r.get(f"cd:latest:trending:{timeframe}"))
            assert_update(snapshot, timeframe)
    finally:
        r.close()


async def test_the_sentiment_producer_reports_the_24h_rank(stack: Stack, trending: Trending) -> None:
    r = stack.redis()
    try:
        wait_until("PEPE in cd:trending:rank", lambda: r.hget("cd:trending:rank", "PEPE") is not None, 15)
        rank = int(r.hget("cd:trending:rank", "PEPE"))
    finally:
        r.close()
    async with session(stack) as client:
        reply = await client.subscribe("market_sentiment", {"tokens": ["PEPE"]})
        assert reply["type"] == "subscription_confirmed", reply
        update = await client.event("market_sentiment_update", 25,
                                    lambda d: d.get("token") == "PEPE" and d.get("trendingRank") == rank,
                                    f"a PEPE sentiment update with trendingRank {rank}")
        assert update["data"]["trendingRank"] == rank


# ---- inputs ----------------------------------------------------------------------------------------------

async def test_stream_samples_are_ranked(stack: Stack, trending: Trending) -> None:
    async with session(stack) as client:
        await subscribed(client, ["4h"])
        r = stack.redis()
        try:
            r.xadd("cd:ingest:trending", {"payload": json.dumps([sample("FLOKI", 0.0002, 5e7, 10, 30 * MINUTE),
                                                                  sample("FLOKI", 0.00021, 6e7, 30, MINUTE)])})
        finally:
            r.close()
        data = await update_with(client, "4h", "FLOKI")
        floki = next(c for c in data["coins"] if c["token"] == "FLOKI")
        assert floki["volume24h"] == 6e7 and floki["priceChange24h"] == 5, floki


@pytest.mark.parametrize("field,item", [
    ("token", {**sample("BTC", 1, 1, 1, 0)}),
    ("price", {**sample("PEPE", 1, 1, 1, 0), "price": -1}),
    ("volume24h", {k: v for k, v in sample("PEPE", 1, 1, 1, 0).items() if k != "volume24h"}),
    ("mentions", {**sample("PEPE", 1, 1, 1, 0), "mentions": 1.5}),
    ("timestamp", {**sample("PEPE", 1, 1, 1, 0), "timestamp": "soon"}),
], ids=["token-not-a-memecoin", "price-negative", "volume-missing", "mentions-fraction", "timestamp-string"])
def test_bad_samples_are_rejected_naming_the_field(trending: Trending, field: str, item: dict) -> None:
    resp = trending.ingest([sample("WIF", 2.0, 4e8, 100, MINUTE), item])
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == field and error["index"] == 1, error
    assert field in error["message"], error


async def test_history_survives_a_restart(stack: Stack, trending: Trending) -> None:
    trending.restart()
    async with session(stack) as client:
        await subscribed(client, ["1h"])
        data = await update_with(client, "1h", "PEPE")
        pepe = next(c for c in data["coins"] if c["token"] == "PEPE")
        assert pepe["rank"] == 1 and pepe["priceChange24h"] == 30 and pepe["volume24h"] == 3e8, data


def test_trending_health_and_metrics(trending: Trending) -> None:
    assert HTTP.get(f"{trending.url}/healthz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{trending.url}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "coindaily_trending_rankings_total" in metrics.text, metrics.text[:800]
