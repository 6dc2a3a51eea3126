"""coindaily-budget end to end: limits through the API, spend over HTTP and the stream -> Redis -> gateway -> admins.

The heart of it: budget alerts fire exactly once per threshold across a producer restart (SIGTERM, start
again, redeliver a record, spend more). Agent names come from the agent registry, written by a real
coindaily-tasks process from a task event.
"""

from __future__ import annotations

import json
import os
from typing import Iterator
from urllib.parse import quote

import pytest

from cdstack import HTTP, LOG_LEVEL, Proc, Stack, binary, free_port, http_status, now_ms, wait_until
from wsclient import Client, session

STREAM = "cd:ingest:budget"
DEAD = "cd:ingest:budget:dead"


class Budget:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.proc = self.stack.start_extra(f"budget-{self.starts}", [
            binary("coindaily-budget"), "--host", "127.0.0.1", "--port", str(self.port),
            "--redis-url", self.stack.redis_url, "--instance", "interop", "--log-level", LOG_LEVEL,
        ])
        wait_until("budget /readyz", lambda: http_status(f"{self.url}/readyz") == 200, 60, [self.proc])

    def stop(self) -> None:
        assert self.proc is not None
        status = self.proc.stop(10)
        assert status == 0, f"coindaily-budget did not exit cleanly on SIGTERM: {status}"

    def post(self, body: object):
        return HTTP.post(f"{self.url}/v1/ingest", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"}, timeout=5)

    def post_ok(self, body: object) -> None:
        resp = self.post(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"

    def put_limit(self, limit_id: str, body: dict):
        return HTTP.put(f"{self.url}/v1/limits/{quote(limit_id, safe='')}", data=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"}, timeout=5)


@pytest.fixture(scope="module")
def budget(stack: Stack) -> Iterator[Budget]:
    b = Budget(stack)
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def tasks_url(stack: Stack) -> Iterator[str]:
    """A coindaily-tasks process: it writes the agent registry the budget producer reads names from."""
    port = free_port()
    proc = stack.start_extra("tasks-for-budget", [
        binary("coindaily-tasks"), "--host", "127.0.0.1", "--port", str(port), "--redis-url", stack.redis_url,
        "--instance", "interop-budget", "--log-level", LOG_LEVEL,
    ])
    wait_until("tasks /readyz", lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, 60, [proc])
    yield f"http://127.0.0.1:{port}"
    assert proc.stop(10) == 0


def uid(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def spend(agent: str, cost: float, spend_id: str | None = None) -> dict:
    item = {"agentId": agent, "cost": cost, "timestamp": now_ms()}
    if spend_id is not None:
        item["spendId"] = spend_id
    return item


async def subscribe_admin(client: Client, data: dict | None = None) -> None:
    reply = await client.subscribe("budget_alerts", data if data is not None else {})
    assert reply["type"] == "subscription_confirmed", reply


def alerts_for(client: Client, limit_id: str) -> list[dict]:
    return [m["data"] for m in client.received
            if m["type"] == "budget_alert" and m["data"].get("budgetLimitId") == limit_id]


async def test_alerts_fire_once_per_threshold_across_a_restart(budget: Budget, tasks_url: str, stack: Stack) -> None:
    agent, other_agent, limit_id = uid("agent-bt"), uid("agent-other"), uid("limit")
    # The tasks producer registers the agent's name from a task event.
    resp = HTTP.post(f"{tasks_url}/v1/ingest", timeout=5, data=json.dumps(
        {"taskId": uid("task"), "agentId": agent, "userId": "budget-test", "status": "queued",
         "agentName": "Writer-IT7"}).encode())
    assert resp.status_code == 202, resp.text

    async with session(stack, roles=["admin"]) as admin, session(stack, roles=["admin"]) as filtered, \
            session(stack, roles=["user"]) as user:
        await subscribe_admin(admin)
        await subscribe_admin(filtered, {"agentId": other_agent})
        reply = await user.subscribe("budget_alerts", {})
        assert reply["type"] == "error" and reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply

        resp = budget.put_limit(limit_id, {"agentId": agent, "amount": 100, "period": "daily"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["revision"] == 1 and resp.json()["currentSpend"] == 0, resp.text

        budget.post_ok(spend(agent, 70, "s1"))     # 70 %: nothing
        budget.post_ok(spend(agent, 15, "s2"))     # 85 %: 80
        first = await admin.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == limit_id)
        assert first["data"] == {
            "budgetLimitId": limit_id, "agentId": agent, "agentName": "Writer-IT7", "amount": 100,
            "currentSpend": 85, "remainingBudget": 15, "thresholdReached": 80, "period": "daily",
            "message": "Agent Writer-IT7 has used 80% of its daily budget ($85.00 of $100.00)",
            "timestamp": first["data"]["timestamp"],
        }, first
        assert abs(first["data"]["timestamp"] - now_ms()) < 60_000

        # Restart the producer: stop it (SIGTERM, clean exit) and start a new process.
        budget.stop()
        budget.start()

        budget.post_ok(spend(agent, 15, "s2"))     # redelivered: not counted, no alert
        budget.post_ok(spend(agent, 3, "s3"))      # 88 %: nothing new (80 already sent before the restart)
        budget.post_ok(spend(agent, 4, "s4"))      # 92 %: 90
        second = await admin.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == limit_id)
        assert second["data"]["thresholdReached"] == 90 and second["data"]["currentSpend"] == 92, second

        # Through the stream, twice (a redelivered entry): 102 % -> 100, once.
        r = stack.redis()
        try:
            record = json.dumps(spend(agent, 10, "s5"))
            r.xadd(STREAM, {"payload": record})
            r.xadd(STREAM, {"payload": record})
            third = await admin.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == limit_id)
            assert third["data"]["thresholdReached"] == 100 and third["data"]["remainingBudget"] == 0, third
            assert third["data"]["currentSpend"] == 102, third
            # Both entries were processed (acknowledged): the second changed nothing.
            wait_until("stream entries acknowledged",
                       lambda: r.xpending(STREAM, "budget")["pending"] == 0, 15, [budget.proc])
        finally:
            r.close()

        budget.post_ok(spend(agent, 50, "s6"))     # 152 %: every threshold already sent
        await admin.collect(1.0)
        assert [a["thresholdReached"] for a in alerts_for(admin, limit_id)] == [80, 90, 100], \
            alerts_for(admin, limit_id)
        await filtered.collect(0.2)
        assert alerts_for(filtered, limit_id) == [], "the agentId filter let another agent's alert through"
        await user.collect(0.2)
        assert not [m for m in user.received if m["type"] == "budget_alert"]

        resp = HTTP.get(f"{budget.url}/v1/limits/{limit_id}", timeout=5)
        assert resp.status_code == 200 and resp.json()["currentSpend"] == 152, resp.text


async def test_agent_filter_and_global_limit(budget: Budget, stack: Stack) -> None:
    agent, limit_id, global_id = uid("agent-f"), uid("limit-f"), uid("limit-all")
    async with session(stack, roles=["admin"]) as filtered:
        await subscribe_admin(filtered, {"agentId": agent})
        assert budget.put_limit(limit_id, {"agentId": agent, "amount": 10, "period": "weekly"}).status_code == 200
        budget.post_ok([spend(agent, 9.5)])
        alert = await filtered.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == limit_id)
        assert [alert["data"]["thresholdReached"]] == [80], alert  # 95 %: 80 and 90, in order
        alert = await filtered.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == limit_id)
        assert alert["data"]["thresholdReached"] == 90 and alert["data"]["period"] == "weekly", alert
        assert "agentName" not in alert["data"], alert   # no task event named this agent

    async with session(stack, roles=["admin"]) as admin:
        await subscribe_admin(admin)
        # A limit without agentId covers all agents; setting it below the spend so far alerts at once.
        r = stack.redis()
        try:
            period_total = float(r.get(f"cd:budget:spend:all:monthly:{time_key('monthly')}") or 0)
        finally:
            r.close()
        resp = budget.put_limit(global_id, {"amount": max(period_total, 1) / 0.95, "period": "monthly"})
        assert resp.status_code == 200, resp.text
        alert = await admin.event("budget_alert", 15, lambda d: d.get("budgetLimitId") == global_id)
        assert alert["data"]["thresholdReached"] == 80 and "agentId" not in alert["data"], alert
        assert alert["data"]["message"].startswith("All agents have used 80% of the monthly budget"), alert
        assert HTTP.delete(f"{budget.url}/v1/limits/{global_id}", timeout=5).status_code == 204


def time_key(period: str) -> str:
    import time
    t = time.gmtime()
    return f"{t.tm_year:04d}-{t.tm_mon:02d}" if period == "monthly" else time.strftime("%Y-%m-%d", t)


def test_limits_api_and_validation(budget: Budget) -> None:
    limit_id = uid("limit-api")
    resp = budget.put_limit(limit_id, {"amount": 100, "period": "hourly"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "period", resp.text
    resp = budget.put_limit(limit_id, {"budgetLimitId": "other", "amount": 100, "period": "daily"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "budgetLimitId", resp.text
    assert budget.put_limit(limit_id, {"amount": 100, "period": "daily"}).json()["revision"] == 1
    assert budget.put_limit(limit_id, {"amount": 100, "period": "daily"}).json()["revision"] == 1
    assert budget.put_limit(limit_id, {"amount": 200, "period": "daily"}).json()["revision"] == 2
    listed = HTTP.get(f"{budget.url}/v1/limits", timeout=5).json()["limits"]
    assert any(l["budgetLimitId"] == limit_id and l["amount"] == 200 for l in listed), listed
    assert HTTP.delete(f"{budget.url}/v1/limits/{limit_id}", timeout=5).status_code == 204
    assert HTTP.get(f"{budget.url}/v1/limits/{limit_id}", timeout=5).status_code == 404
    # Limits are ingest items too.
    budget.post_ok({"kind": "limit", "budgetLimitId": limit_id, "amount": 5, "period": "monthly"})
    assert HTTP.get(f"{budget.url}/v1/limits/{limit_id}", timeout=5).json()["period"] == "monthly"
    assert HTTP.delete(f"{budget.url}/v1/limits/{limit_id}", timeout=5).status_code == 204

    for item, field in [
        ({"agentId": "a", "cost": -1, "timestamp": now_ms()}, "cost"),
        ({"agentId": "a", "cost": 1}, "timestamp"),
        ({"agentId": "a", "cost": 1, "timestamp": now_ms() - 40 * 86_400_000}, "timestamp"),
        ({"budgetLimitId": "x", "amount": 0, "period": "daily"}, "amount"),
    ]:
        resp = budget.post(item)
        assert resp.status_code == 400, resp.text
        error = resp.json()["error"]
        assert error["code"] == "INVALID_INPUT" and error["field"] == field and field in error["message"], error


def test_budget_health_and_metrics(budget: Budget) -> None:
    assert HTTP.get(f"{budget.url}/healthz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{budget.url}/metrics", timeout=5)
    assert metrics.status_code == 200 and 'producer="budget"' in metrics.text, metrics.text[:500]
