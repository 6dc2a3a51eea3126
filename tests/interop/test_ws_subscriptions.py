"""Subscriptions, roles, delivery of market sentiment, unsubscribing and snapshots."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import AsyncExitStack

import pytest

from cdstack import EMIT_INTERVAL_MS, Stack, bullish_batch
from channels import ALL_CHANNELS, ALLOWED
from wsclient import assert_sentiment_data, now_ms, session

EVENT_ID_RE = re.compile(r"^[0-9a-z]+:\d+-\d+$")  # an event id (issue 6): <epoch>:<ms>-<seq>


def is_update_for(token: str):
    return lambda m: m["type"] == "market_sentiment_update" and isinstance(m.get("data"), dict) \
        and m["data"].get("token") == token


# ---- the whole flow ------------------------------------------------------------------------------------

async def test_flow_auth_subscribe_ingest_receive(stack: Stack) -> None:
    """Two clients (auth both ways) subscribe; a POSTed signal for BTC reaches both as an update."""
    async with session(stack, style="top") as a, session(stack, style="data") as b:
        for client in (a, b):
            reply = await client.subscribe("market_sentiment", {"tokens": ["BTC", "ETH", "SOL"]})
            assert reply["type"] == "subscription_confirmed", reply
            data = reply["data"]
            # issue 6: also the history position, an event id <epoch>:<ms>-<seq> (a resume's starting point)
            assert isinstance(data.get("position"), str) and EVENT_ID_RE.match(data["position"]), reply
            assert {k: v for k, v in data.items() if k != "position"} == \
                {"channel": "market_sentiment", "tokens": ["BTC", "ETH", "SOL"]}, reply

        posted_at = now_ms()
        stack.ingest_ok(bullish_batch("BTC"))

        for client in (a, b):
            update = await client.wait_for(is_update_for("BTC"), 15, "a market_sentiment_update for BTC")
            data = update["data"]
            assert_sentiment_data(data, "BTC")
            assert data["timestamp"] >= posted_at - 2000, f"stale update: {data}"
            assert data["score"] > 0, f"all BTC inputs are bullish, yet: {data}"
            assert data["sentiment"] in ("bullish", "very_bullish", "neutral"), data
            assert "error" not in update, update
        await a.ping()


async def test_updates_are_only_for_subscribed_tokens(stack: Stack) -> None:
    async with session(stack) as client:
        reply = await client.subscribe("market_sentiment", {"tokens": ["ETH"]})
        assert reply["type"] == "subscription_confirmed", reply
        stack.ingest_ok(bullish_batch("BTC"))
        received = await client.collect(2.5 * EMIT_INTERVAL_MS / 1000)
        btc = [m for m in received if m["type"] == "market_sentiment_update" and m["data"].get("token") == "BTC"]
        assert not btc, f"received BTC updates without a BTC subscription: {btc[:2]}"


# ---- confirmations and roles ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ALLOWED))
async def test_role_permissions_for_every_channel(stack: Stack, role: str) -> None:
    async with session(stack, roles=[role]) as client:
        for channel, params in ALL_CHANNELS.items():
            reply = await client.subscribe(channel, params)
            if channel in ALLOWED[role]:
                assert reply["type"] == "subscription_confirmed", f"{role} -> {channel}: {reply}"
                assert reply["data"]["channel"] == channel, reply
                for key, value in params.items():
                    assert reply["data"].get(key) == value, f"{channel}: parameter {key} not confirmed: {reply}"
            else:
                assert reply["type"] == "error", f"{role} must not subscribe to {channel}: {reply}"
                assert reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply
                assert "forbidden" in reply["error"]["message"].lower(), reply
        await client.ping()


async def test_subscriptions_without_parameters(stack: Stack) -> None:
    async with session(stack, roles=["admin"]) as client:
        for channel in ("whale_activity", "task_updates", "pipeline_updates", "budget_alerts",
                        "moderation_queue", "system_health"):
            reply = await client.subscribe(channel, {})
            assert reply["type"] == "subscription_confirmed", reply
            assert reply["data"]["channel"] == channel, reply


# ---- unsubscribing --------------------------------------------------------------------------------------

async def test_unsubscribe_stops_delivery(stack: Stack) -> None:
    async with session(stack) as control, session(stack) as by_token, session(stack) as by_kind:
        for client in (control, by_token, by_kind):
            reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
            assert reply["type"] == "subscription_confirmed", reply

        reply = await by_token.unsubscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "unsubscription_confirmed", reply
        assert reply["data"]["channel"] == "market_sentiment" and reply["data"].get("tokens") == ["BTC"], reply

        reply = await by_kind.unsubscribe("market_sentiment")  # no data: every market_sentiment subscription
        assert reply["type"] == "unsubscription_confirmed", reply
        assert reply["data"]["channel"] == "market_sentiment", reply

        stack.ingest_ok(bullish_batch("BTC"))
        # The control client proves updates flowed during the window ...
        await control.wait_for(is_update_for("BTC"), 15, "a BTC update on the still-subscribed control client")
        # ... and over two more emit intervals the unsubscribed clients got none.
        window_end = time.monotonic() + 2.5 * EMIT_INTERVAL_MS / 1000
        for client in (by_token, by_kind):
            got = await client.collect(max(0.1, window_end - time.monotonic()))
            updates = [m for m in got if m["type"] == "market_sentiment_update"]
            assert not updates, f"update after unsubscribing: {updates[:2]}"
            await client.ping()


async def test_unsubscribe_without_a_subscription_is_confirmed(stack: Stack) -> None:
    async with session(stack) as client:
        reply = await client.unsubscribe("whale_activity")
        assert reply["type"] == "unsubscription_confirmed", reply
        assert reply["data"]["channel"] == "whale_activity", reply
        await client.ping()


async def test_unsubscribe_one_token_keeps_the_others(stack: Stack) -> None:
    async with session(stack) as client:
        reply = await client.subscribe("market_sentiment", {"tokens": ["BTC", "ETH"]})
        assert reply["type"] == "subscription_confirmed", reply
        reply = await client.unsubscribe("market_sentiment", {"tokens": ["ETH"]})
        assert reply["type"] == "unsubscription_confirmed", reply
        stack.ingest_ok(bullish_batch("BTC"))
        await client.wait_for(is_update_for("BTC"), 15, "a BTC update (BTC is still subscribed)")


# ---- snapshots -----------------------------------------------------------------------------------------

async def test_get_market_sentiment_snapshot_after_ingest(stack: Stack) -> None:
    async with session(stack) as watcher:
        reply = await watcher.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        stack.ingest_ok(bullish_batch("BTC"))
        await watcher.wait_for(is_update_for("BTC"), 15, "a BTC update")

    async with session(stack) as client:  # not subscribed: a snapshot needs no subscription
        reply = await client.request({"type": "get_market_sentiment", "data": {"tokens": ["BTC", "SOL"]},
                                      "id": "snap-1"})
        assert reply["type"] == "market_sentiment_snapshot", reply
        assert reply.get("id") == "snap-1", reply
        data = reply["data"]
        assert isinstance(data["sentiments"], list) and len(data["sentiments"]) == 1, data
        assert_sentiment_data(data["sentiments"][0], "BTC")
        assert data["missing"] == ["SOL"], data


async def test_many_clients_all_receive(stack: Stack) -> None:
    async with AsyncExitStack() as stack_of_clients:
        clients = [await stack_of_clients.enter_async_context(session(stack)) for _ in range(20)]
        for client in clients:
            reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
            assert reply["type"] == "subscription_confirmed", reply
        stack.ingest_ok(bullish_batch("BTC"))
        await asyncio.gather(*(c.wait_for(is_update_for("BTC"), 15, "a BTC update") for c in clients))
