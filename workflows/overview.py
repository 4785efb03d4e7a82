"""Where a case stands, its history and its plan: one read model for the CLI and the web."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, HumanTask, ProcessInstance

from . import consent, evaluations, messages, plans
from .models import Case, CaseNote, Consent, Evaluation, FormSubmission, PlanVersion, YouthMessage


@dataclass
class Overview:
    case: Case
    instance: ProcessInstance | None
    open_tasks: list[HumanTask]
    consents: list[Consent]
    plans: list[PlanVersion]
    evaluations: list[Evaluation]
    messages: list[YouthMessage]
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plan(self) -> PlanVersion | None:
        return self.plans[-1] if self.plans else None


def build(session: Session, case: Case, *, with_history: bool = True) -> Overview:
    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.business_key == case.reference)
                                 .order_by(HumanTask.created_at)))
    overview = Overview(case, instance, tasks, consent.current(session, case), plans.versions(session, case),
                        evaluations.for_case(session, case), messages.for_case(session, case))
    if with_history:
        overview.history = history(session, case)
    return overview


def history(session: Session, case: Case) -> list[dict[str, Any]]:
    """State changes, form submissions, notes and messages of a case, oldest first."""
    items: list[dict[str, Any]] = []
    for event in session.scalars(select(AuditEvent).where(AuditEvent.business_key == case.reference,
                                                          AuditEvent.kind != "case_viewed")):
        items.append({"at": event.at, "kind": event.kind, "actor": event.actor, "detail": event.detail})
    for sub in session.scalars(select(FormSubmission).where(FormSubmission.case_id == case.id)):
        items.append({"at": sub.submitted_at, "kind": "form_submitted", "actor": sub.submitted_by.username,
                      "detail": {"step": sub.step, "title": sub.title}})
    for note in session.scalars(select(CaseNote).where(CaseNote.case_id == case.id)):
        items.append({"at": note.written_at, "kind": "note", "actor": note.author.username,
                      "detail": {"text": note.text}})
    for message in messages.for_case(session, case):
        items.append({"at": message.recorded_at, "kind": f"youth_{message.kind}", "actor": "",
                      "detail": {"text": message.text}})
    kinds_order = {"form_submitted": 0}
    return sorted(items, key=lambda i: (i["at"], kinds_order.get(i["kind"], 1)))
