"""Malformed and invalid client messages: the right error code, and the connection keeps working."""

from __future__ import annotations

import asyncio
import json
import os
import struct

import pytest

from cdstack import Stack
from wsclient import session

MAX_MESSAGE_BYTES = 65536      # gateway default --max-message-bytes
MAX_FRAME_BYTES = 1048576      # gateway default --max-frame-bytes (hard cap: close 1009)

# Envelope-level faults (docs/protocol.md, "Errors").
INVALID_FORMAT = [
    ("not-json", "this is not json{"),
    ("truncated-json", '{"type": "ping"'),
    ("json-array", "[1, 2, 3]"),
    ("json-string", '"ping"'),
    ("json-number", "42"),
    ("json-null", "null"),
    ("missing-type", json.dumps({"data": {"tokens": ["BTC"]}})),
    ("type-not-string", json.dumps({"type": 7})),
    ("unknown-type", json.dumps({"type": "subscribe_everything", "data": {}})),
    ("data-not-object", json.dumps({"type": "subscribe_market_sentiment", "data": "BTC"})),
    ("data-array", json.dumps({"type": "subscribe_market_sentiment", "data": ["BTC"]})),
    ("id-object", json.dumps({"type": "ping", "id": {"n": 1}})),
    ("get-tokens-string", json.dumps({"type": "get_market_sentiment", "data": {"tokens": "BTC"}})),
    ("binary-frame", b'{"type": "ping"}'),
]

# Bad subscription parameters, including wrongly typed ones, are SUBSCRIPTION_FAILED (docs/protocol.md).
SUBSCRIPTION_FAILED = [
    ("empty-tokens", {"type": "subscribe_market_sentiment", "data": {"tokens": []}}),
    ("missing-tokens", {"type": "subscribe_market_sentiment", "data": {}}),
    ("tokens-string", {"type": "subscribe_market_sentiment", "data": {"tokens": "BTC"}}),
    ("tokens-numbers", {"type": "subscribe_market_sentiment", "data": {"tokens": [1, 2]}}),
    ("unknown-symbol", {"type": "subscribe_market_sentiment", "data": {"tokens": ["NOTACOIN"]}}),
    ("unknown-symbol-among-known", {"type": "subscribe_market_sentiment", "data": {"tokens": ["BTC", "NOTACOIN"]}}),
    ("whale-unknown-symbol", {"type": "subscribe_whale_activity", "data": {"tokens": ["NOTACOIN"]}}),
    ("whale-negative-min-amount", {"type": "subscribe_whale_activity", "data": {"minAmount": -1}}),
    ("whale-min-amount-string", {"type": "subscribe_whale_activity", "data": {"minAmount": "lots"}}),
    ("task-id-number", {"type": "subscribe_task_updates", "data": {"taskId": 123}}),
    ("moderation-unknown-severity", {"type": "subscribe_moderation_queue", "data": {"severity": "apocalyptic"}}),
]


@pytest.mark.parametrize("frame", [f for _, f in INVALID_FORMAT], ids=[i for i, _ in INVALID_FORMAT])
async def test_invalid_message_format_then_ping_still_works(stack: Stack, frame: str | bytes) -> None:
    async with session(stack) as client:
        await client.expect_error(frame, "INVALID_MESSAGE_FORMAT")
        await client.ping()


@pytest.mark.parametrize("message", [m for _, m in SUBSCRIPTION_FAILED], ids=[i for i, _ in SUBSCRIPTION_FAILED])
async def test_invalid_subscription_then_ping_still_works(stack: Stack, message: dict) -> None:
    # moderator, so that the severity case fails on the severity and not on the role
    async with session(stack, roles=["user", "moderator"]) as client:
        reply = await client.expect_error(message, "SUBSCRIPTION_FAILED")
        assert "forbidden" not in reply["error"]["message"].lower(), reply
        await client.ping()


async def test_several_errors_in_a_row_do_not_break_the_connection(stack: Stack) -> None:
    async with session(stack) as client:
        for frame in ("nope", "[]", b"\x00\x01"):
            await client.expect_error(frame, "INVALID_MESSAGE_FORMAT")
        await client.expect_error({"type": "subscribe_market_sentiment", "data": {"tokens": []}},
                                  "SUBSCRIPTION_FAILED")
        reply = await client.subscribe("market_sentiment", {"tokens": ["BTC"]})
        assert reply["type"] == "subscription_confirmed", reply
        await client.ping()


async def test_text_frame_above_max_message_bytes_is_invalid_message_format(stack: Stack) -> None:
    # Valid JSON, a valid message type: only its size is wrong. Below the hard frame cap.
    padding = "x" * (MAX_MESSAGE_BYTES + 4096)
    frame = json.dumps({"type": "ping", "padding": padding})
    assert MAX_MESSAGE_BYTES < len(frame) < MAX_FRAME_BYTES
    async with session(stack) as client:
        await client.expect_error(frame, "INVALID_MESSAGE_FORMAT")
        await client.ping()


async def test_text_frame_just_below_max_message_bytes_is_accepted(stack: Stack) -> None:
    frame = json.dumps({"type": "ping", "padding": ""})
    frame = json.dumps({"type": "ping", "padding": "x" * (MAX_MESSAGE_BYTES - len(frame) - 16)})
    assert len(frame) <= MAX_MESSAGE_BYTES
    async with session(stack) as client:
        reply = await client.request(frame)
        assert reply["type"] == "pong", reply


def _masked_frame_header(opcode: int, length: int) -> tuple[bytes, bytes]:
    """A client frame header (FIN set, masked) announcing ``length`` bytes, and its mask key."""
    mask = os.urandom(4)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return header + mask, mask


def _mask(data: bytes, mask: bytes) -> bytes:
    n = len(data)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


async def test_frame_above_the_hard_cap_closes_with_1009(stack: Stack) -> None:
    # Announce a 2 MiB text frame and send its first 16 KiB. A gateway that checks the announced length
    # (as NIOWebSocket's decoder does) closes now; one that buffers first closes once the rest is sent.
    # Sending all of it up front would race the close against the write (a reset can eat the close frame).
    announced = 2 * MAX_FRAME_BYTES
    header, mask = _masked_frame_header(0x1, announced)
    payload = _mask((b'{"type":"ping","padding":"' + b"x" * announced)[:announced], mask)
    first = 16 * 1024
    async with session(stack) as client:
        await client.send_raw(header + payload[:first])
        if not await client.closes_within(3.0):
            for offset in range(first, announced, 64 * 1024):
                if client.ws.transport.is_closing():
                    break
                await client.send_raw(payload[offset:offset + 64 * 1024])
                await asyncio.sleep(0.001)
        code = await client.closed(timeout=10)
        assert code == 1009, f"close code {code}"
