"""Domain tables: the records the process produces live here, not in workflow task data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime

ROLES = ("case_manager", "professional", "process_owner", "coordinator")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    role: Mapped[str] = mapped_column(String(30))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # One e-mail a day listing what is new and overdue, instead of one e-mail per notification.
    email_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Case(Base):
    """A request for the dispositif: pseudonymous reference, no name of the youth."""

    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | exited | closed
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requester_kind: Mapped[str] = mapped_column(String(20))  # youth | family | professional
    requester_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    requester_contact: Mapped[str] = mapped_column(String(300), default="")
    youth_pseudonym: Mapped[str] = mapped_column(String(60))
    age_band: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(100))
    difficulties: Mapped[str] = mapped_column(Text, default="")
    previous_attempts: Mapped[str] = mapped_column(Text, default="")
    case_manager_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    pass_number: Mapped[int] = mapped_column(Integer, default=0)
    consent_attempts: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    case_manager: Mapped[User] = relationship(foreign_keys=[case_manager_id], lazy="joined")


class CaseMember(Base):
    """Who takes part in a case, and so may see the parts of it that concern them."""

    __tablename__ = "case_member"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    role_in_case: Mapped[str] = mapped_column(String(30))  # requester | participant | carrier | informed
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Consent(Base):
    """One consent decision of one person (the youth or a legal representative)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person: Mapped[str] = mapped_column(String(30))  # youth | legal_representative
    label: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20))  # given | refused | pending | withdrawn
    scope: Mapped[str] = mapped_column(String(500), default="")
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    collected_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    youth_mature: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    maturity_reasoning: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str] = mapped_column(String(100))

    collected_by: Mapped[User] = relationship(lazy="joined")


class PlanVersion(Base):
    """The individual intersectoral plan agreed at one concertation; earlier versions are kept."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    youth_present: Mapped[bool] = mapped_column(Boolean)
    youth_absence_reason: Mapped[str] = mapped_column(Text, default="")
    shared_information: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    objectives: Mapped[list[Objective]] = relationship(order_by="Objective.position", lazy="selectin")
    actions: Mapped[list[PlanAction]] = relationship(order_by="PlanAction.position", lazy="selectin")
    participants: Mapped[list[Participant]] = relationship(order_by="Participant.id", lazy="selectin")


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    charter_acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User | None] = relationship(lazy="joined")


class Objective(Base):
    __tablename__ = "objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    indicator: Mapped[str] = mapped_column(String(500), default="")


class PlanAction(Base):
    """What, who, when, how and how long; tied to one objective of the same plan version."""

    __tablename__ = "plan_action"
    __table_args__ = (Index("ix_plan_action_carrier_status", "carrier_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    position: Mapped[int] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(500))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    how: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | abandoned

    carrier: Mapped[User] = relationship(lazy="joined")
    objective: Mapped[Objective] = relationship(lazy="joined")


class ActionReport(Base):
    """A partner's report on one action: its result and how effective it was."""

    __tablename__ = "action_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"), index=True)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(Text)
    effectiveness: Mapped[str | None] = mapped_column(String(20), nullable=True)

    reported_by: Mapped[User] = relationship(lazy="joined")


class YouthMessage(Base):
    """A wish (désidérata) or complaint of the youth, and what was done with it."""

    __tablename__ = "youth_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # wish | complaint
    text: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    response: Mapped[str] = mapped_column(Text, default="")

    recipients: Mapped[list[YouthMessageRecipient]] = relationship(lazy="selectin")


class YouthMessageRecipient(Base):
    __tablename__ = "youth_message_recipient"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("youth_message.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    informed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class Evaluation(Base):
    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))
    evaluated_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    objectives_met: Mapped[bool] = mapped_column(Boolean)
    cooperation_quality: Mapped[int] = mapped_column(Integer)
    cooperation_comment: Mapped[str] = mapped_column(Text, default="")
    critical_moments: Mapped[str] = mapped_column(Text, default="")
    positive_moments: Mapped[str] = mapped_column(Text, default="")

    results: Mapped[list[ObjectiveResult]] = relationship(lazy="selectin")


class ObjectiveResult(Base):
    __tablename__ = "objective_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    met: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str] = mapped_column(Text, default="")

    objective: Mapped[Objective] = relationship(lazy="joined")


class FormSubmission(Base):
    """Every completed form, as submitted: the case timeline and the audit of decisions."""

    __tablename__ = "form_submission"
    __table_args__ = (Index("ix_form_submission_case_at", "case_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    step: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    submitted_by: Mapped[User] = relationship(lazy="joined")


class CaseNote(Base):
    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)

    author: Mapped[User] = relationship(lazy="joined")


class Notification(Base):
    """Outbox: one row per (case, reason, occurrence), so each notification goes out once."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
        # The outbox sender's claim: email_status = 'pending' AND next_attempt_at <= now.
        Index("ix_notification_outbox", "email_status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), nullable=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # pending | sending | sent | failed | unknown | skipped | digest | digested (workflows/outbox.py)
    email_status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)

    recipient: Mapped[User] = relationship(lazy="joined")
    case: Mapped[Case | None] = relationship(lazy="joined")
