"""Door: the budgets of BPMN expressions, and requests whose diagram failed (« en erreur »)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import failures, runtime, scripts
from engine.execution import Actor

__all__ = ["configure_scripts", "record_failure", "record_start_failure"]


def configure_scripts(*, cpu_seconds: float | None = None, max_instance_bytes: int | None = None) -> None:
    """Set the CPU-time budget of one expression or script, and the largest stored instance."""
    if cpu_seconds is not None:
        scripts.LIMITS.cpu_seconds = float(cpu_seconds)
    if max_instance_bytes is not None:
        runtime.MAX_INSTANCE_BYTES = int(max_instance_bytes)


def record_failure(session: Session, instance_id: int, message: str) -> int | None:
    """After a rollback: mark the request « en erreur » with the French message; its id, or None if gone."""
    instance = failures.record_failure(session, instance_id, message)
    return instance.id if instance is not None else None


def record_start_failure(session: Session, demarche_key: str, requester: Actor, message: str) -> int | None:
    """After a rollback of a failed start: file the family's request « en erreur »; its id, or None."""
    instance = failures.record_start_failure(session, demarche_key, requester, message)
    return instance.id if instance is not None else None
