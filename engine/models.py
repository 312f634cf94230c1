"""Engine tables: process definitions, instances, the human_task inbox, history and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, CompressedText, UTCDateTime, utcnow

#: The family's lane in every diagram; the other lanes are the agents' groups.
REQUESTER_LANE = "Famille"


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"


class HumanTaskState(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ProcessDefinition(Base):
    """One immutable, numbered version of a démarche's BPMN."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    max_duration: Mapped[str | None] = mapped_column(String(40))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_published: Mapped[bool] = mapped_column(default=True)
    # What the analyst wrote when publishing from the studio (« Publier »); empty for `guichet deploy`.
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")

    def __repr__(self) -> str:
        return f"<ProcessDefinition {self.id} {self.key} v{self.version}>"


class ProcessInstance(Base):
    """A running or finished démarche: one JSON document plus the columns the lists need."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    # The family's account; null while an anonymous visitor runs a démarche (signup, forgotten password),
    # who is then recognised by a secret kept in their session (only its hash is stored).
    requester_id: Mapped[int | None] = mapped_column(Integer, index=True)
    guest_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[InstanceStatus] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    status_label: Mapped[str] = mapped_column(String(200), default="")
    serialization: Mapped[str] = mapped_column(CompressedText)
    data_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the family sent its first step (a draft may wait for days): « Déposée le », and the
    # maximum duration counts from then (engine/api.py::complete).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The requester's name when the démarche started (Actor.display_name), for queues and exports
    # without joining the web's account table (engine/queues.py).
    requester_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Optimistic version guard: an UPDATE that matches 0 rows raises StaleDataError.
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return f"<ProcessInstance {self.id} {self.reference} {self.status}>"


class HumanTask(Base):
    """The inbox row of one READY user task: lists and queues are SQL over this table."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_lane_state", "lane", "state"),
        Index("ix_human_task_requester_state", "requester_id", "state"),
        # The latest completions of a lane, newest first (engine/estimate.py).
        Index("ix_human_task_lane_state_completed", "lane", "state", "completed_at"),
        # Queues (engine/queues.py): one index per sortable column within a lane, and « Mes tâches ».
        # The id ends each index: the queue sorts by (column, id), which SQLite's implicit rowid
        # gave, PostgreSQL's btree not (a few statuses among 100,000 rows: a sort of them all).
        # NULLs first, as the queue sorts them (a btree puts them last by default on PostgreSQL;
        # SQLite has no such clause and sorts NULLs first anyway).
        Index("ix_human_task_queue_created", "lane", "state", "created_at", "id"),
        Index(
            "ix_human_task_queue_due",
            "lane",
            "state",
            "due_at",
            "id",
            postgresql_ops={"due_at": "NULLS FIRST"},
        ),
        Index("ix_human_task_queue_requester", "lane", "state", "requester_name", "id"),
        Index("ix_human_task_queue_reference", "lane", "state", "instance_id", "id"),
        Index("ix_human_task_queue_demarche", "lane", "state", "demarche_key", "id"),
        Index("ix_human_task_queue_status", "lane", "state", "status_label", "id"),
        Index(
            "ix_human_task_queue_assignee",
            "lane",
            "state",
            "assignee_name",
            "id",
            postgresql_ops={"assignee_name": "NULLS FIRST"},
        ),
        # The queue's search (`search_text LIKE '%mot%'`) on PostgreSQL: a trigram index, created by
        # the migration when the pg_trgm extension is available (SQLite scans the filter index).
        Index(
            "ix_human_task_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # Covers every filter, so that counting a filtered queue never reads the table itself.
        Index(
            "ix_human_task_queue_filters",
            "lane",
            "state",
            "assignee_id",
            "demarche_key",
            "status_label",
            "due_at",
            "search_text",
            "created_at",
        ),
        Index("ix_human_task_assignee_state", "assignee_id", "state", "created_at"),
        # « Où les demandes attendent » (engine/waiting.py): one démarche's tasks opened in a period.
        Index("ix_human_task_demarche_created", "demarche_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str] = mapped_column(String(100))
    status_label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[HumanTaskState] = mapped_column(String(20), default=HumanTaskState.OPEN)
    requester_id: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    completed_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deadlines (engine/deadlines.py): set by the reminder and the escalation boundary timers.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # « Enregistrer le brouillon »: the fields as typed, unvalidated ({name: [values]}), never
    # passwords nor files (engine/drafts.py).
    draft: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)

    # Denormalised for the queues (pure SQL over this table, engine/queues.py): filled by
    # Runner.sync_tasks from the instance, and by engine/assignment.py when an agent claims the task.
    demarche_key: Mapped[str] = mapped_column(String(100), default="", server_default="")
    requester_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: Reference and requester name, lower case without accents, for the queue's search box.
    search_text: Mapped[str] = mapped_column(String(400), default="", server_default="")
    assignee_name: Mapped[str | None] = mapped_column(String(150))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[ProcessInstance] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<HumanTask {self.id} {self.form_key} {self.state}>"


class HistoryEvent(Base):
    """One line of an instance's timeline; families see only the public ones."""

    __tablename__ = "history_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_type: Mapped[str] = mapped_column(String(50))
    visibility: Mapped[Visibility] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(300))
    comment: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(150))
    actor_role: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<HistoryEvent {self.id} {self.event_type} {self.label!r}>"


class OutboxMessage(Base):
    """A mail written in the business transaction and sent after commit, with retries."""

    __tablename__ = "outbox_message"
    # The claim's « is anything due on my channels » is a range per channel (engine/outbox.py::claim).
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "channel", "next_attempt_at"),
        # The rows a worker holds (read back after the claim, renewed, released): a few at a time.
        Index(
            "ix_outbox_message_claim",
            "claim_token",
            sqlite_where=text("claim_token IS NOT NULL"),
            postgresql_where=text("claim_token IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "courriel" or "sms" (web/notifications.py); a family notification's row points at it.
    channel: Mapped[str] = mapped_column(String(10), default="courriel", server_default="courriel")
    notification_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set with next_attempt_at = end of the lease by the worker that claimed the row (engine/outbox.py):
    # only that worker may record the row's outcome, and only while its lease runs.
    claim_token: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} {self.subject!r}>"


class ReferenceCounter(Base):
    """The last request number given in a year: references DEM-<year>-<number> (engine/references.py)."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<ReferenceCounter {self.year} {self.last_number}>"


class OutboxChannelState(Base):
    """Health of one outbox channel ("courriel", "sms"): failing since when, alerted or not."""

    __tablename__ = "outbox_channel_state"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    # First failure of the current outage (the server unreachable); null while the channel works.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # When the admins were told about the current outage (once per outage).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxChannelState {self.channel} failing_since={self.failing_since}>"


class WorkerHeartbeat(Base):
    """The last time each worker process ran its jobs (the `/sante` health page reads it)."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.name} {self.seen_at}>"
