"""ISO 8601 dates and durations as the BPMN timers read them (SpiffWorkflow's own parser).

One of the few engine modules that import SpiffWorkflow: the rest of Guichet goes through these
functions, so a timer, a deadline and a date shown to a family all agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 instant, as a timeDate timer reads it (ValueError when malformed)."""
    return TimerEventDefinition.get_datetime(value)  # type: ignore[no-any-return]


def parse_iso_duration(value: str) -> dict[str, float]:
    """The parts of an ISO 8601 duration ("P1Y2M3DT4H" -> {"years": 1, ...}); Exception when malformed."""
    return TimerEventDefinition.parse_iso_duration(value)  # type: ignore[no-any-return]


def after(start: datetime, duration: str) -> datetime:
    """`start` plus an ISO 8601 duration, months and years counted on the calendar."""
    parsed = parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def before(end: datetime, duration: str) -> datetime:
    """`end` minus an ISO 8601 duration, months and years counted on the calendar."""
    parsed = parse_iso_duration(duration)
    delta: timedelta = TimerEventDefinition.get_timedelta_from_end(parsed, end)
    return end - delta
