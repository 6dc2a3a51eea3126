"""coindaily-tasks end to end: HTTP and stream ingest -> Redis -> gateway -> WebSocket clients.

Shows the task state machine's 400s (naming the field), each user receiving only their own task updates
while an admin receives all, the taskId filter, a pipeline update reaching an editor (and the pipelineId
filter), the stream path with its dead-letter entries, and the agent registry.
"""

from __future__ import annotations

import json
import os
from typing import Iterator

import pytest

from cdstack import HTTP, LOG_LEVEL, Proc, Stack, binary, free_port, http_status, now_ms, wait_until
from wsclient import Client, session

STREAM = "cd:ingest:tasks"
DEAD = "cd:ingest:tasks:dead"


class Tasks:
    def __init__(self, stack: Stack, proc: Proc, port: int):
        self.stack = stack
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"

    def ingest(self, body: object):
        return HTTP.post(f"{self.url}/v1/ingest", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"}, timeout=5)

    def ingest_ok(self, body: object, accepted: int | None = None) -> None:
        resp = self.ingest(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"
        if accepted is not None:
            assert resp.json() == {"accepted": accepted}, resp.text


@pytest.fixture(scope="module")
def tasks(stack: Stack) -> Iterator[Tasks]:
    port = free_port()
    proc = stack.start_extra("tasks", [
        binary("coindaily-tasks"), "--host", "127.0.0.1", "--port", str(port), "--redis-url", stack.redis_url,
        "--instance", "interop", "--log-level", LOG_LEVEL,
    ])
    wait_until("tasks /readyz", lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, 60, [proc])
    yield Tasks(stack, proc, port)
    assert proc.stop(10) == 0, f"coindaily-tasks did not exit cleanly on SIGTERM: {proc.returncode()}"


def uid(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def task_event(task_id: str, user: str, status: str, **extra) -> dict:
    return {"taskId": task_id, "agentId": extra.pop("agentId", "agent-it-1"), "userId": user, "status": status,
            **extra}


def is_task(task_id: str, status: str | None = None):
    return lambda d: d.get("taskId") == task_id and (status is None or d.get("status") == status)


async def subscribe(client: Client, channel: str, data: dict | None = None) -> None:
    reply = await client.subscribe(channel, data if data is not None else {})
    assert reply["type"] == "subscription_confirmed", reply


def _assert_invalid(resp, field: str, index: int | None = None) -> dict:
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text}"
    error = resp.json()["error"]
    assert error["code"] == "INVALID_INPUT", error
    assert error.get("field") == field, error
    assert field in error["message"], error
    if index is not None:
        assert error.get("index") == index and f"item {index}" in error["message"], error
    return error


# ---- users see only their own tasks; admins see all ------------------------------------------------------

async def test_each_user_receives_only_their_own_tasks_and_admin_receives_all(tasks: Tasks, stack: Stack) -> None:
    alice, bob = uid("alice"), uid("bob")
    ta, tb = uid("task-a"), uid("task-b")
    async with session(stack, sub=alice) as a, session(stack, sub=bob) as b, \
            session(stack, roles=["admin"]) as admin:
        for client in (a, b, admin):
            await subscribe(client, "task_updates")

        started = now_ms()
        tasks.ingest_ok([task_event(tb, bob, "queued"), task_event(ta, alice, "queued")], accepted=2)
        tasks.ingest_ok(task_event(ta, alice, "processing", progress=35.5, cost=0.12))

        first = await a.event("task_status_update", 15, is_task(ta, "queued"))
        assert first["data"] == {"taskId": ta, "agentId": "agent-it-1", "userId": alice, "status": "queued",
                                 "timestamp": first["data"]["timestamp"]}, first
        assert abs(first["data"]["timestamp"] - started) < 10_000 and first["timestamp"] == first["data"]["timestamp"]
        second = await a.event("task_status_update", 15, is_task(ta, "processing"))
        assert second["data"] == {"taskId": ta, "agentId": "agent-it-1", "userId": alice, "status": "processing",
                                  "progress": 35.5, "cost": 0.12, "timestamp": second["data"]["timestamp"]}, second
        await b.event("task_status_update", 15, is_task(tb, "queued"))

        seen_admin = set()
        while seen_admin != {(tb, "queued"), (ta, "queued"), (ta, "processing")}:
            msg = await admin.event("task_status_update", 15)
            seen_admin.add((msg["data"]["taskId"], msg["data"]["status"]))

        # bob's task was published before alice's first event, so it would have reached alice by now.
        await a.collect(0.5)
        await b.collect(0.5)
        a_tasks = {m["data"]["taskId"] for m in a.received if m["type"] == "task_status_update"}
        b_tasks = {m["data"]["taskId"] for m in b.received if m["type"] == "task_status_update"}
        assert a_tasks == {ta}, f"alice received others' tasks: {a_tasks}"
        assert b_tasks == {tb}, f"bob received others' tasks: {b_tasks}"
        assert all(m["data"]["userId"] == alice for m in a.received if m["type"] == "task_status_update")


async def test_task_id_filter(tasks: Tasks, stack: Stack) -> None:
    user = uid("carol")
    wanted, other = uid("task-w"), uid("task-o")
    async with session(stack, sub=user) as client:
        await subscribe(client, "task_updates", {"taskId": wanted})
        tasks.ingest_ok([task_event(other, user, "queued"), task_event(wanted, user, "queued")])
        await client.event("task_status_update", 15, is_task(wanted))
        tasks.ingest_ok(task_event(other, user, "processing"))
        tasks.ingest_ok(task_event(wanted, user, "cancelled"))
        await client.event("task_status_update", 15, is_task(wanted, "cancelled"))
        got = [m["data"]["taskId"] for m in client.received if m["type"] == "task_status_update"]
        assert got == [wanted, wanted], got


# ---- the state machine ------------------------------------------------------------------------------------

def test_state_machine_violations_are_400_naming_the_field(tasks: Tasks) -> None:
    user, task_id = uid("dave"), uid("task-sm")
    tasks.ingest_ok(task_event(task_id, user, "processing", progress=60))
    _assert_invalid(tasks.ingest(task_event(task_id, user, "processing", progress=40)), "progress")
    _assert_invalid(tasks.ingest(task_event(task_id, user, "queued")), "status")
    _assert_invalid(tasks.ingest(task_event(task_id, uid("mallory"), "processing")), "userId")
    tasks.ingest_ok(task_event(task_id, user, "completed", progress=100, qualityScore=0.8))
    error = _assert_invalid(tasks.ingest(task_event(task_id, user, "failed")), "status")
    assert "completed" in error["message"], error
    # A repeat of the final status is accepted (a redelivery) and changes nothing.
    tasks.ingest_ok(task_event(task_id, user, "completed"), accepted=1)
    # Queued may not complete directly; the whole array is rejected, naming the item.
    fresh = uid("task-q")
    _assert_invalid(tasks.ingest([task_event(fresh, user, "queued"), task_event(fresh, user, "completed")]),
                    "status", index=1)
    # ... and nothing of it was applied: the task is unknown, so it may start as processing.
    r = stack_redis(tasks)
    assert r.exists(f"cd:tasks:task:{fresh}") == 0
    tasks.ingest_ok(task_event(fresh, user, "processing"))


@pytest.mark.parametrize("item,field", [
    ({"taskId": "t", "agentId": "a", "userId": "u", "status": "done"}, "status"),
    ({"taskId": "t", "agentId": "a", "userId": "u", "status": "queued", "progress": 120}, "progress"),
    ({"taskId": "t", "agentId": "a", "userId": "u", "status": "queued", "progress": "50"}, "progress"),
    ({"agentId": "a", "userId": "u", "status": "queued"}, "taskId"),
    ({"pipelineId": "p", "articleId": "x", "stage": {"name": "s", "status": "running", "progress": 0},
      "totalStages": 2}, "stage.status"),
    ({"pipelineId": "p", "articleId": "x", "stage": {"name": "s", "status": "pending", "progress": 0}}, "totalStages"),
], ids=["status-unknown", "progress-over-100", "progress-string", "taskId-missing", "stage-status", "totalStages"])
def test_malformed_items_are_400_naming_the_field(tasks: Tasks, item: dict, field: str) -> None:
    _assert_invalid(tasks.ingest(item), field)


def stack_redis(tasks: Tasks):
    return tasks.stack.redis()


# ---- pipelines ----------------------------------------------------------------------------------------------

async def test_pipeline_update_reaches_an_editor(tasks: Tasks, stack: Stack) -> None:
    pid, other, article = uid("pipe"), uid("pipe-o"), uid("article")
    async with session(stack, roles=["editor"]) as editor, session(stack, roles=["editor"]) as one, \
            session(stack, roles=["user"]) as user:
        await subscribe(editor, "pipeline_updates")
        await subscribe(one, "pipeline_updates", {"pipelineId": pid})
        reply = await user.subscribe("pipeline_updates", {})
        assert reply["type"] == "error" and reply["error"]["code"] == "SUBSCRIPTION_FAILED", reply

        def stage(p: str, name: str, status: str, progress: float) -> dict:
            return {"pipelineId": p, "articleId": article, "stage": {"name": name, "status": status,
                                                                     "progress": progress}, "totalStages": 2}

        tasks.ingest_ok([stage(other, "draft", "processing", 10), stage(pid, "draft", "completed", 100)])
        msg = await editor.event("pipeline_progress_update", 15, lambda d: d.get("pipelineId") == pid)
        assert msg["data"] == {
            "pipelineId": pid, "articleId": article, "status": "processing",
            "currentStage": {"name": "draft", "status": "completed", "progress": 100},
            "completedStages": 1, "totalStages": 2, "timestamp": msg["data"]["timestamp"],
        }, msg
        tasks.ingest_ok(stage(pid, "publish", "completed", 100))
        done = await one.event("pipeline_progress_update", 15,
                               lambda d: d.get("pipelineId") == pid and d.get("status") == "completed")
        assert done["data"]["completedStages"] == 2 and done["data"]["currentStage"]["name"] == "publish", done
        got = {m["data"]["pipelineId"] for m in one.received if m["type"] == "pipeline_progress_update"}
        assert got == {pid}, f"the pipelineId filter let through: {got}"
        _assert_invalid(tasks.ingest(stage(pid, "extra", "pending", 0)), "stage.name")
        await user.collect(0.3)
        assert not [m for m in user.received if m["type"] == "pipeline_progress_update"], user.received


# ---- the stream path, the registry, health ------------------------------------------------------------------

async def test_stream_ingest_and_dead_letters(tasks: Tasks, stack: Stack) -> None:
    user, task_id = uid("erin"), uid("task-s")
    r = stack.redis()
    try:
        dead_before = r.xlen(DEAD) if r.exists(DEAD) else 0
        async with session(stack, sub=user) as client:
            await subscribe(client, "task_updates")
            r.xadd(STREAM, {"payload": json.dumps(task_event(task_id, user, "completed", agentName="Writer-IT"))})
            r.xadd(STREAM, {"payload": json.dumps(task_event(task_id, user, "processing"))})
            r.xadd(STREAM, {"payload": "not json"})
            msg = await client.event("task_status_update", 15, is_task(task_id, "completed"))
            assert msg["data"]["userId"] == user
        wait_until("two dead letters", lambda: r.xlen(DEAD) >= dead_before + 2, 15, [tasks.proc])
        entries = r.xrange(DEAD, "-", "+")[-2:]
        reasons = [fields["error"] for _, fields in entries]
        assert any("status cannot go from completed to processing" in reason for reason in reasons), reasons
        assert any("malformed JSON" in reason for reason in reasons), reasons
        record = json.loads(r.hget("cd:agents", "agent-it-1"))
        assert record["agentId"] == "agent-it-1" and record["name"] == "Writer-IT", record
        assert record["status"] == "active" and abs(record["lastSeen"] - now_ms()) < 60_000, record
    finally:
        r.close()


def test_tasks_health_and_metrics(tasks: Tasks) -> None:
    assert HTTP.get(f"{tasks.url}/healthz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{tasks.url}/metrics", timeout=5)
    assert metrics.status_code == 200 and 'producer="tasks"' in metrics.text, metrics.text[:500]
    r = tasks.stack.redis()
    try:
        assert r.exists("cd:heartbeat:tasks:interop") == 1
    finally:
        r.close()
