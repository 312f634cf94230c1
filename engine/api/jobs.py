"""Door: the scheduled jobs (due timers, outbox); they own their transactions."""

from __future__ import annotations

from engine.jobs import drain_outbox, fire_due_timers

__all__ = ["drain_outbox", "fire_due_timers"]
