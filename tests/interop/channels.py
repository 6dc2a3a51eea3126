"""The contract's channels and role table, as the interop tests use them (one copy for the plain and the
Socket.IO suites)."""

from __future__ import annotations

# one valid subscription per channel
ALL_CHANNELS: dict[str, dict] = {
    "market_sentiment": {"tokens": ["BTC", "ETH"]},
    "whale_activity": {"tokens": ["BTC"], "minAmount": 1000000},
    "task_updates": {"taskId": "task-123"},
    "pipeline_updates": {"pipelineId": "pipeline-456"},
    "budget_alerts": {"agentId": "agent-789"},
    "moderation_queue": {"severity": "high"},
    "system_health": {},
}

# who may subscribe to what (contract.md, "Roles and what they may subscribe to")
ALLOWED: dict[str, set[str]] = {
    "user": {"market_sentiment", "whale_activity", "task_updates"},
    "editor": {"market_sentiment", "whale_activity", "task_updates", "pipeline_updates"},
    "moderator": {"market_sentiment", "whale_activity", "task_updates", "moderation_queue"},
    "admin": set(ALL_CHANNELS),
}
