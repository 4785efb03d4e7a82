"""Engine tables: process versions, instances, their open human tasks, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime


class ProcessVersion(Base):
    """An immutable, numbered deployment of a bundle (BPMN + DMN + forms)."""

    __tablename__ = "process_version"
    __table_args__ = (
        # The content hash is not unique: an earlier version's content may be deployed again,
        # as the newest (migrations/versions/0009).
        UniqueConstraint("process_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    # {relative path: text}: every file of the bundle exactly as deployed. Deferred, like the
    # spec: every step joins its instance's version and must not drag 100 KB along.
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    # The parsed spec and subprocess specs, serialized once, restored per new instance.
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # {lane name: lane id}, {user task id: form file}, element ids and names for diffs.
    lanes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    forms: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    elements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ProcessInstance(Base):
    """One running (or finished) workflow, with its serialized state and derived columns."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_due", "status", "next_timer_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | completed | error
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_element: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": revision}


class HumanTask(Base):
    """A READY user task, derived from the workflow on every save; gone once completed."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_lane_due", "lane", "due_at"),
        Index("ix_human_task_assignee_due", "assignee", "due_at"),
        # The inbox's counts per step and due window read this index only.
        Index("ix_human_task_assignee_step_due", "assignee", "spec_name", "due_at"),
        # The same for the tasks someone oversees on a lane (a case manager's partners' actions),
        # and their pages in due order.
        Index("ix_human_task_supervisor_lane_step_due", "supervisor", "lane", "spec_name", "due_at"),
        Index("ix_human_task_supervisor_lane_due", "supervisor", "lane", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    business_key: Mapped[str] = mapped_column(String(64), index=True)
    spec_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Who oversees the task's case (set by the application's save hook; here its case manager).
    supervisor: Mapped[str | None] = mapped_column(String(120), nullable=True)
    form: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The multi-instance item (e.g. the plan action this task reports on); small ids only.
    item: Mapped[Any] = mapped_column(JSON, nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only record of who did what to which instance (never personal content)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_key_at", "business_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60))
    business_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
