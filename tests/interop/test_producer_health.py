"""coindaily-health end to end: it probes Redis, heartbeat keys and the agent registry, and admins receive
system_health_update through the gateway; deleting a producer's heartbeat key turns it degraded."""

from __future__ import annotations

import json
from typing import Iterable

import pytest

from cdstack import HTTP, LOG_LEVEL, Stack, binary, free_port, http_status, now_ms, wait_until
from wsclient import session

CHANNEL = "cd:ev:system_health"
FAKE = "interopx"  # a producer only this test pretends to run
FAKE_KEY = f"cd:heartbeat:{FAKE}:test"


class Health:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"


def _beat(stack: Stack) -> None:
    client = stack.redis()
    try:
        client.set(FAKE_KEY, json.dumps({"service": FAKE, "instance": "test", "at": now_ms()}), ex=60)
    finally:
        client.close()


@pytest.fixture(scope="module")
def health(stack: Stack) -> Iterable[Health]:
    _beat(stack)
    client = stack.redis()
    try:
        client.hset("cd:agents", mapping={
            "interop-agent-1": json.dumps({"agentId": "interop-agent-1", "name": "Writer", "status": "active", "lastSeen": now_ms()}),
            "interop-agent-2": json.dumps({"agentId": "interop-agent-2", "name": "Editor", "status": "inactive", "lastSeen": now_ms()}),
        })
    finally:
        client.close()
    port = free_port()
    proc = stack.start_extra("health", [
        binary("coindaily-health"), "--host", "127.0.0.1", "--port", str(port), "--redis-url", stack.redis_url,
        "--instance", "interop", "--probe-interval-ms", "200", "--missing-after-ms", "300",
        "--publish-interval-ms", "2000", "--expected-services", f"sentiment,gateway,{FAKE}", "--log-level", LOG_LEVEL,
    ])
    wait_until("health /healthz", lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, 60, [proc])
    yield Health(port)
    proc.stop(10)
    client = stack.redis()
    try:
        client.delete(FAKE_KEY)
        client.hdel("cd:agents", "interop-agent-1", "interop-agent-2")
    finally:
        client.close()


def _assert_health_data(d: dict) -> None:
    assert set(d) == {"status", "services", "alerts", "timestamp"}, d
    assert d["status"] in ("healthy", "degraded", "down"), d
    services = d["services"]
    assert services["database"] == "n/a", d
    assert services["redis"] in ("up", "slow", "down"), d
    agents = services["ai_agents"]
    assert set(agents) == {"total", "active", "inactive"} and all(isinstance(v, int) for v in agents.values()), d
    assert agents["total"] == agents["active"] + agents["inactive"], d
    assert isinstance(services["producers"], dict), d
    assert set(services["gateways"]) == {"count", "connections"}, d
    assert isinstance(d["alerts"], list) and all(isinstance(a, str) for a in d["alerts"]), d
    assert isinstance(d["timestamp"], int) and abs(d["timestamp"] - now_ms()) < 60_000, d


async def test_admin_sees_health_turn_degraded_when_a_heartbeat_goes(stack: Stack, health: Health) -> None:
    async with session(stack, roles=["user", "moderator"]) as user:
        reply = await user.subscribe("system_health", {})
        assert reply["type"] == "error" and reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply

    async with session(stack, roles=["admin"]) as admin:
        reply = await admin.subscribe("system_health", {})
        assert reply["type"] == "subscription_confirmed", reply
        client = stack.redis()
        try:
            wait_until("the gateway's Redis subscription to the health channel",
                       lambda: dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL, 0) >= 1, 10)

            healthy = await admin.event("system_health_update", 15,
                                        lambda d: d["status"] == "healthy" and d["services"]["producers"].get(FAKE) == "up",
                                        "a healthy report with the fake producer up")
            d = healthy["data"]
            _assert_health_data(d)
            assert d["alerts"] == [], d
            assert d["services"]["redis"] == "up", d
            assert d["services"]["producers"]["sentiment"] == "up", d
            assert d["services"]["gateways"]["count"] >= 1, d
            assert d["services"]["ai_agents"]["active"] >= 1 and d["services"]["ai_agents"]["inactive"] >= 1, d

            # The gateway's heartbeat (every 5 s) carries its connection count: this connection shows up.
            counted = await admin.event("system_health_update", 15,
                                        lambda d: d["services"]["gateways"]["connections"] >= 1,
                                        "a report counting this connection")
            _assert_health_data(counted["data"])

            client.delete(FAKE_KEY)
            degraded = await admin.event("system_health_update", 15, lambda d: d["status"] == "degraded",
                                         "a degraded report after the heartbeat key was deleted")
            d = degraded["data"]
            _assert_health_data(d)
            assert d["services"]["producers"][FAKE] == "down", d
            assert len(d["alerts"]) == 1 and d["alerts"][0].startswith(f"producer {FAKE}: no heartbeat for "), d

            latest = json.loads(client.get("cd:latest:system_health"))
            assert latest["status"] == "degraded" and latest["alerts"] == d["alerts"], latest

            _beat(stack)
            back = await admin.event("system_health_update", 15, lambda d: d["status"] == "healthy",
                                     "healthy again after the heartbeat returned")
            assert back["data"]["services"]["producers"][FAKE] == "up", back
        finally:
            client.close()


def test_health_http(health: Health) -> None:
    assert HTTP.get(f"{health.url}/healthz", timeout=5).status_code == 200
    assert HTTP.get(f"{health.url}/readyz", timeout=5).status_code == 200
    status = HTTP.get(f"{health.url}/v1/status", timeout=5)
    assert status.status_code == 200, status.text
    _assert_health_data(status.json())
    assert HTTP.post(f"{health.url}/v1/ingest", data=b"{}", timeout=5).status_code == 404
    metrics = HTTP.get(f"{health.url}/metrics", timeout=5).text
    assert "coindaily_health_status" in metrics, metrics[:1000]
