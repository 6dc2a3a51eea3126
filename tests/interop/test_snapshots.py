"""Snapshots on subscribe: system health and trending send their latest value at once (docs/protocol.md)."""

from __future__ import annotations

import json

import pytest

from cdstack import Stack
from wsclient import session

pytestmark = pytest.mark.timeout(30)

HEALTH = {"status": "degraded", "services": {"database": "n/a", "redis": "up",
                                             "ai_agents": {"total": 3, "active": 2, "inactive": 1}},
          "alerts": ["producer whale: no heartbeat for 42 s"], "timestamp": 1700000000000}


def trending(timeframe: str) -> dict:
    return {"timeframe": timeframe, "coins": [{"token": "PEPE", "rank": 1, "sentimentScore": 0.5, "volume24h": 1e9,
                                               "priceChange24h": 12.5, "trendingScore": 80.0}],
            "timestamp": 1700000000000}


async def test_system_health_subscriber_gets_the_latest_report_at_once(stack: Stack) -> None:
    stack.redis().set("cd:latest:system_health", json.dumps(HEALTH))
    async with session(stack, roles=["user", "admin"]) as client:
        reply = await client.subscribe("system_health", {})
        assert reply["type"] == "subscription_confirmed", reply
        update = await client.event("system_health_update", timeout=5)
        assert update["data"] == HEALTH


async def test_trending_subscriber_gets_the_latest_of_each_requested_timeframe_only(stack: Stack) -> None:
    r = stack.redis()
    for tf in ("1h", "4h", "24h", "7d"):
        r.set(f"cd:latest:trending:{tf}", json.dumps(trending(tf)))
    async with session(stack) as client:
        reply = await client.subscribe("trending_memecoins", {"timeframes": ["1h", "24h"]})
        assert reply["type"] == "subscription_confirmed", reply
        got = [m for m in await client.collect(1.5) if m["type"] == "trending_memecoins_update"]
        assert sorted(m["data"]["timeframe"] for m in got) == ["1h", "24h"]
        assert got[0]["data"] == trending(got[0]["data"]["timeframe"])


async def test_no_snapshot_for_market_sentiment_subscriptions(stack: Stack) -> None:
    # Market sentiment has get_market_sentiment for snapshots; subscribing sends only the confirmation.
    async with session(stack) as client:
        reply = await client.subscribe("market_sentiment", {"tokens": ["SOL"]})
        assert reply["type"] == "subscription_confirmed", reply
        assert [m for m in await client.collect(1.0) if m["type"] == "market_sentiment_update"] == []
