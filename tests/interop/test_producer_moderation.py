"""coindaily-moderation end to end: POST /v1/ingest (and the stream cd:ingest:moderation) -> the queue in
Redis -> moderation_queue_update through the gateway to moderators, with the `severity` filter."""

from __future__ import annotations

import json
import os
import time
from typing import Iterable

import pytest

from cdstack import HTTP, LOG_LEVEL, Stack, binary, free_port, http_status, now_ms, wait_until
from wsclient import Client, session

CHANNEL = "cd:ev:moderation_queue"
DATA_KEYS = {"violationId", "userId", "contentType", "violationType", "severity", "confidence", "status",
             "queuePosition", "queueLength", "reportedAt", "timestamp"}


class Moderation:
    def __init__(self, stack: Stack, port: int):
        self.stack = stack
        self.url = f"http://127.0.0.1:{port}"

    def ingest(self, body: object) -> "object":
        return HTTP.post(f"{self.url}/v1/ingest", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"}, timeout=5)

    def ingest_ok(self, body: object) -> None:
        resp = self.ingest(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"


@pytest.fixture(scope="module")
def moderation(stack: Stack) -> Iterable[Moderation]:
    client = stack.redis()
    try:
        for key in client.scan_iter(match="cd:moderation:*", count=500):
            client.delete(key)
    finally:
        client.close()
    port = free_port()
    proc = stack.start_extra("moderation", [
        binary("coindaily-moderation"), "--host", "127.0.0.1", "--port", str(port), "--redis-url", stack.redis_url,
        "--instance", "interop", "--log-level", LOG_LEVEL,
    ])
    wait_until("moderation /healthz", lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, 60, [proc])
    yield Moderation(stack, port)
    proc.stop(10)


def report(vid: str, severity: str, confidence: float, reported_at: int, user: str = "user-9",
           content: str = "post", vtype: str = "spam") -> dict:
    return {"violationId": vid, "userId": user, "contentType": content, "violationType": vtype,
            "severity": severity, "confidence": confidence, "timestamp": reported_at}


def wait_for_gateway_subscription(stack: Stack) -> None:
    """The gateway confirms a subscription at once; its Redis SUBSCRIBE follows. Wait for it."""
    client = stack.redis()
    try:
        wait_until("the gateway's Redis subscription to the moderation channel",
                   lambda: dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL, 0) >= 1, 10)
    finally:
        client.close()


async def moderation_events(client: Client, count: int, timeout: float = 15.0) -> list[tuple[str, int, str]]:
    """(violationId, queuePosition, status) of the next `count` moderation events, checking each one's fields."""
    out: list[tuple[str, int, str]] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        msg = await client.wait_for(lambda m: m["type"] == "moderation_queue_update",
                                    max(0.01, deadline - time.monotonic()),
                                    f"moderation event {len(out) + 1} of {count} (so far {out})")
        d = msg["data"]
        assert set(d) == DATA_KEYS, f"fields of moderation_queue_update: {sorted(d)}"
        out.append((d["violationId"], d["queuePosition"], d["status"]))
    return out


async def test_queue_positions_and_severity_filter(stack: Stack, moderation: Moderation) -> None:
    p = f"it{os.urandom(3).hex()}-"
    A, B, C, D, E, F, G = (p + x for x in "ABCDEFG")
    t = now_ms() - 60_000
    async with session(stack, roles=["moderator"]) as everything, \
            session(stack, roles=["moderator"]) as high, \
            session(stack, roles=["admin"]) as critical:
        reply = await everything.subscribe("moderation_queue", {})
        assert reply["type"] == "subscription_confirmed", reply
        reply = await high.subscribe("moderation_queue", {"severity": "high"})
        assert reply["type"] == "subscription_confirmed" and reply["data"]["severity"] == "high", reply
        reply = await critical.subscribe("moderation_queue", {"severity": "critical"})
        assert reply["type"] == "subscription_confirmed", reply
        wait_for_gateway_subscription(stack)

        before = now_ms()
        moderation.ingest_ok(report(A, "low", 0.5, t, user="user-1", content="comment", vtype="off_topic"))
        first = await everything.event("moderation_queue_update", where=lambda d: d["violationId"] == A)
        assert first["data"] == {
            "violationId": A, "userId": "user-1", "contentType": "comment", "violationType": "off_topic",
            "severity": "low", "confidence": 0.5, "status": "pending", "queuePosition": 1, "queueLength": 1,
            "reportedAt": t, "timestamp": first["timestamp"],
        }, first
        assert before - 1000 <= first["timestamp"] <= now_ms() + 1000, first

        moderation.ingest_ok(report(B, "high", 0.8, t + 1000))
        moderation.ingest_ok(report(C, "critical", 0.9, t + 2000))
        moderation.ingest_ok(report(D, "high", 0.95, t + 3000))        # before B: same severity, more confident
        moderation.ingest_ok([report(E, "medium", 0.7, t + 4000),      # one batch of two
                              report(F, "low", 0.9, t + 5000)])        # before A: same severity, more confident
        moderation.ingest_ok({"violationId": C, "status": "confirmed"})  # leaves the queue: all behind move up
        moderation.ingest_ok({"violationId": D, "status": "under_review"})  # keeps its place
        moderation.ingest_ok(report(B, "critical", 1.0, t))              # repeated id: ignored, no event
        moderation.ingest_ok({"violationId": D, "status": "under_review"})  # repeated status: ignored
        moderation.ingest_ok({"kind": "status", "violationId": F, "status": "false_positive"})
        moderation.ingest_ok(report(G, "critical", 0.1, t + 6000))     # the last one: goes first

        expected = [
            (B, 1, "pending"), (A, 2, "pending"),
            (C, 1, "pending"), (B, 2, "pending"), (A, 3, "pending"),
            (D, 2, "pending"), (B, 3, "pending"), (A, 4, "pending"),
            (E, 4, "pending"), (A, 5, "pending"),
            (F, 5, "pending"), (A, 6, "pending"),
            (C, 0, "confirmed"), (D, 1, "pending"), (B, 2, "pending"), (E, 3, "pending"), (F, 4, "pending"),
            (A, 5, "pending"),
            (D, 1, "under_review"),
            (F, 0, "false_positive"), (A, 4, "pending"),
            (G, 1, "pending"), (D, 2, "under_review"), (B, 3, "pending"), (E, 4, "pending"), (A, 5, "pending"),
        ]
        got = await moderation_events(everything, len(expected))
        assert got == expected, f"all severities:\n got {got}\nwant {expected}"

        severity = {A: "low", B: "high", C: "critical", D: "high", E: "medium", F: "low", G: "critical"}
        want_high = [e for e in [(A, 1, "pending")] + expected if severity[e[0]] in ("high", "critical")]
        got_high = await moderation_events(high, len(want_high))
        assert got_high == want_high, f"severity high:\n got {got_high}\nwant {want_high}"
        want_critical = [e for e in want_high if severity[e[0]] == "critical"]
        got_critical = await moderation_events(critical, len(want_critical))
        assert got_critical == want_critical, f"severity critical:\n got {got_critical}\nwant {want_critical}"

        # Nothing else is on its way (the ignored inputs published nothing).
        for client in (everything, high, critical):
            rest = [m for m in await client.collect(0.5) if m["type"] == "moderation_queue_update"]
            assert rest == [], rest

    client = stack.redis()
    try:
        members = client.zrange("cd:moderation:queue", 0, -1)
        assert [m[24:] for m in members if m[24:].startswith(p)] == [G, D, B, E, A], members
    finally:
        client.close()


def _assert_invalid(resp, field: str) -> dict:
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text}"
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error.get("field") == field, error
    assert field in error["message"], error
    return error


def test_status_change_of_an_unknown_violation_is_400_naming_violationId(moderation: Moderation) -> None:
    error = _assert_invalid(moderation.ingest({"violationId": "never-reported", "status": "confirmed"}), "violationId")
    assert "never-reported" in error["message"], error
    # Inside an array: the index, and nothing of the batch applied.
    vid = f"it{os.urandom(3).hex()}-x"
    error = _assert_invalid(moderation.ingest([report(vid, "low", 0.2, now_ms()),
                                               {"violationId": "never-reported", "status": "under_review"}]),
                            "violationId")
    assert error["index"] == 1 and error["message"].startswith("item 1:"), error
    client = moderation.stack.redis()
    try:
        assert not client.exists(f"cd:moderation:item:{vid}")
    finally:
        client.close()


def test_a_final_status_cannot_change(moderation: Moderation) -> None:
    vid = f"it{os.urandom(3).hex()}-final"
    moderation.ingest_ok([report(vid, "low", 0.2, now_ms()), {"violationId": vid, "status": "confirmed"}])
    error = _assert_invalid(moderation.ingest({"violationId": vid, "status": "under_review"}), "status")
    assert "confirmed" in error["message"], error


@pytest.mark.parametrize("field,item", [
    ("severity", {**report("x", "low", 0.1, 0), "severity": "urgent"}),
    ("confidence", {**report("x", "low", 0.1, 0), "confidence": 1.5}),
    ("confidence", {**report("x", "low", 0.1, 0), "confidence": "0.5"}),
    ("userId", {k: v for k, v in report("x", "low", 0.1, 0).items() if k != "userId"}),
    ("status", {"violationId": "x", "status": "pending"}),
], ids=["severity-unknown", "confidence-above-1", "confidence-string", "userId-missing", "status-pending"])
def test_bad_items_are_400_naming_the_field(moderation: Moderation, field: str, item: dict) -> None:
    _assert_invalid(moderation.ingest(item), field)


async def test_stream_ingest_and_role_check(stack: Stack, moderation: Moderation) -> None:
    async with session(stack, roles=["user"]) as user:
        reply = await user.subscribe("moderation_queue", {})
        assert reply["type"] == "error" and reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply
        assert "forbidden" in reply["error"]["message"], reply
    vid = f"it{os.urandom(3).hex()}-stream"
    async with session(stack, roles=["moderator"]) as mod:
        reply = await mod.subscribe("moderation_queue", {"severity": "critical"})
        assert reply["type"] == "subscription_confirmed", reply
        wait_for_gateway_subscription(stack)
        client = stack.redis()
        try:
            client.xadd("cd:ingest:moderation", {"payload": json.dumps(report(vid, "critical", 0.99, now_ms()))})
        finally:
            client.close()
        msg = await mod.event("moderation_queue_update", where=lambda d: d["violationId"] == vid)
        assert msg["data"]["status"] == "pending" and msg["data"]["queuePosition"] == 1, msg


def test_health_and_metrics(moderation: Moderation) -> None:
    assert HTTP.get(f"{moderation.url}/healthz", timeout=5).status_code == 200
    assert HTTP.get(f"{moderation.url}/readyz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{moderation.url}/metrics", timeout=5).text
    assert "coindaily_moderation_items_total" in metrics, metrics[:1000]
