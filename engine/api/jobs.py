"""Door: the scheduled jobs (due timers, outbox; they own their transactions) and the outbox's views."""

from __future__ import annotations

from engine.jobs import drain_outbox, fire_due_timers
from engine.outbox_views import OutboxView, message_view, recent_messages

__all__ = ["OutboxView", "drain_outbox", "fire_due_timers", "message_view", "recent_messages"]
