"""coindaily-sentiment's inputs: POST /v1/ingest validation, and the Redis stream cd:ingest:sentiment."""

from __future__ import annotations

import pytest

from cdstack import EMIT_INTERVAL_MS, HTTP, Stack, now_ms, price_item, signal_item
from wsclient import Client, assert_sentiment_data, session


def _bad(field: str, item: dict) -> tuple[str, dict]:
    return field, item


BAD_ITEMS = [
    _bad("score", {**signal_item("SOL"), "score": 1.5}),
    _bad("score", {**signal_item("SOL"), "score": -1.01}),
    _bad("score", {**signal_item("SOL"), "score": "0.5"}),
    _bad("source", {**signal_item("SOL"), "source": "twitter"}),
    _bad("source", {**signal_item("SOL"), "source": 3}),
    _bad("token", {k: v for k, v in signal_item("SOL").items() if k != "token"}),
    _bad("token", {**signal_item("SOL"), "token": 42}),
    _bad("weight", {**signal_item("SOL"), "weight": "heavy"}),
    _bad("timestamp", {**signal_item("SOL"), "timestamp": "yesterday"}),
    _bad("price", {**price_item("SOL", 150.0), "price": "cheap"}),
]
BAD_IDS = ["score-above-1", "score-below-minus-1", "score-string", "source-unknown",
           "source-number", "token-missing", "token-number", "weight-string", "timestamp-string",
           "price-string"]


def _assert_invalid_input(resp, field: str | None) -> dict:
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text}"
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT", error
    assert isinstance(error["message"], str) and error["message"], error
    if field is not None:
        assert field in error["message"], f"the message should name the field '{field}': {error}"
    return error


@pytest.mark.parametrize("field,item", BAD_ITEMS, ids=BAD_IDS)
def test_ingest_rejects_a_bad_item_naming_the_field(stack: Stack, field: str, item: dict) -> None:
    _assert_invalid_input(stack.ingest(item), field)


@pytest.mark.parametrize("raw", [b"not json", b"", b"42", b'"BTC"', b"null", b"[1, 2]"],
                         ids=["not-json", "empty", "number", "string", "null", "array-of-numbers"])
def test_ingest_rejects_a_body_that_is_not_items(stack: Stack, raw: bytes) -> None:
    _assert_invalid_input(stack.ingest(None, raw=raw), None)


def test_ingest_accepts_one_item_and_arrays(stack: Stack) -> None:
    resp = stack.ingest(signal_item("BTC", "social", 0.6))
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"accepted": 1}, resp.text

    batch = [signal_item("BTC", "news", 0.5), signal_item("BTC", "technical", 0.4, weight=2.0),
             price_item("BTC", 65100.0)]
    resp = stack.ingest(batch)
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"accepted": 3}, resp.text


async def test_a_rejected_batch_applies_nothing(stack: Stack) -> None:
    """One bad item rejects the whole array: SOL (valid item 0) must still have no data afterwards."""
    batch = [signal_item("SOL", "social", 0.9), {**signal_item("SOL", "news"), "score": 7}]
    error = _assert_invalid_input(stack.ingest(batch), "score")
    assert "item 1" in error["message"], f"the message should point at item 1: {error}"

    async with session(stack) as client:
        reply = await client.subscribe("market_sentiment", {"tokens": ["SOL"]})
        assert reply["type"] == "subscription_confirmed", reply
        received = await client.collect(2.5 * EMIT_INTERVAL_MS / 1000)
        sol = [m for m in received if m["type"] == "market_sentiment_update"]
        assert not sol, f"a rejected batch produced updates: {sol[:2]}"
        reply = await client.request({"type": "get_market_sentiment", "data": {"tokens": ["SOL"]}})
        assert reply["type"] == "market_sentiment_snapshot", reply
        assert reply["data"]["missing"] == ["SOL"] and reply["data"]["sentiments"] == [], reply


async def _snapshot(client: Client, token: str) -> dict:
    reply = await client.request({"type": "get_market_sentiment", "data": {"tokens": [token]}})
    assert reply["type"] == "market_sentiment_snapshot", reply
    return reply["data"]


async def test_stream_ingest_produces_an_update(stack: Stack) -> None:
    """XADD cd:ingest:sentiment payload=<json> for ETH (no other test ingests ETH) -> an ETH update."""
    async with session(stack) as client:
        before = await _snapshot(client, "ETH")
        assert before["missing"] == ["ETH"], f"ETH already has data; the stream test needs it fresh: {before}"
        reply = await client.subscribe("market_sentiment", {"tokens": ["ETH"]})
        assert reply["type"] == "subscription_confirmed", reply

        added_at = now_ms()
        stack.xadd_ingest([signal_item("ETH", "whale", 0.7), signal_item("ETH", "social", 0.6)])
        update = await client.event("market_sentiment_update", 15, lambda d: d.get("token") == "ETH",
                                    "an ETH update from the stream")
        assert_sentiment_data(update["data"], "ETH")
        assert update["data"]["timestamp"] >= added_at - 2000, update
        assert update["data"]["score"] > 0, update

        after = await _snapshot(client, "ETH")
        assert after["missing"] == [] and len(after["sentiments"]) == 1, after
        assert_sentiment_data(after["sentiments"][0], "ETH")


def test_sentiment_health_and_metrics(stack: Stack) -> None:
    assert HTTP.get(f"{stack.sentiment_url}/healthz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{stack.sentiment_url}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "# TYPE " in metrics.text, metrics.text[:500]
