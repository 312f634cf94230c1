"""Door: what the BPMN service operations of `web/<area>/operations.py` use."""

from __future__ import annotations

from engine.deadlines import ESCALATED, ESCALATED_EVENT, REMINDED, REMINDED_EVENT, flag_open_agent_tasks
from engine.events import lane_label
from engine.models import REQUESTER_LANE
from engine.outbox import WRITTEN_CHANNELS, PermanentFailure, ServerUnavailable, enqueue_mail
from engine.outbox_messages import OutgoingMessage, message_queued, withdraw_mail
from engine.registry import SERVICES, ServiceOperation, service
from engine.services import ServiceContext
from engine.viewed import add_event

__all__ = [
    "ESCALATED",
    "ESCALATED_EVENT",
    "REMINDED",
    "REMINDED_EVENT",
    "REQUESTER_LANE",
    "SERVICES",
    "WRITTEN_CHANNELS",
    "OutgoingMessage",
    "PermanentFailure",
    "ServerUnavailable",
    "ServiceContext",
    "ServiceOperation",
    "add_event",
    "enqueue_mail",
    "flag_open_agent_tasks",
    "lane_label",
    "message_queued",
    "service",
    "withdraw_mail",
]
