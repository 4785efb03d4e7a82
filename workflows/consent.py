"""Consent of the youth and of each legal representative, and whose consent counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import insert_rows, statement

from .context import TaskContext
from .forms import small_values
from .models import Case, Consent

REFUSING = ("refused", "withdrawn")


def current(session: Session, case: Case) -> list[Consent]:
    """The latest decision of each person (by person kind and label), oldest first."""
    latest: dict[tuple[str, str], Consent] = {}
    # Decisions are written at once (`_record`), so pending changes need no flush before this
    # read: one flush per step, at the end.
    with session.no_autoflush:
        rows = list(session.scalars(_decisions_of_case(), {"case_id": case.id}))
    for row in rows:
        latest[(row.person, row.label.strip().lower())] = row
    return list(latest.values())


@statement
def _decisions_of_case() -> Select:
    return select(Consent).where(Consent.case_id == bindparam("case_id")).order_by(Consent.id)


def status(consents: list[Consent], *, youth_adult: bool = False) -> str:
    """'given', 'refused' or 'pending' for the case as a whole.

    A youth who is an adult, or a minor judged able to assess his interests (Patients' Rights
    Act, art. 12), decides alone; otherwise each legal representative must consent too.
    """
    youth = [c for c in consents if c.person == "youth"]
    if not youth:
        return "pending"
    autonomous = youth_adult or bool(youth[-1].youth_mature)
    relevant = youth if autonomous else consents
    if any(c.status in REFUSING for c in relevant):
        return "refused"
    if not autonomous and not any(c.person == "legal_representative" for c in consents):
        return "pending"
    return "given" if all(c.status == "given" for c in relevant) else "pending"


def _record(ctx: TaskContext, items: list[dict[str, Any]], *, mature: bool | None, reasoning: str) -> None:
    """Write each decision at once (decisions are never changed afterwards, only superseded)."""
    insert_rows(ctx.session, Consent, [{
        "case_id": ctx.case.id, "person": item["person"], "label": item.get("label", ""),
        "status": item["status"], "scope": item.get("scope", ""),
        "decided_on": dt.date.fromisoformat(item["date"]) if item.get("date") else None,
        "collected_by_id": ctx.user.id, "recorded_at": ctx.now, "step": ctx.task.spec_name,
        "youth_mature": mature if item["person"] == "youth" else None,
        "maturity_reasoning": reasoning if item["person"] == "youth" else "",
    } for item in items])


def _youth_mature(session: Session, case: Case) -> bool | None:
    return session.scalar(select(Consent.youth_mature).where(Consent.case_id == case.id, Consent.person == "youth")
                          .order_by(Consent.id.desc()).limit(1))


def _band(age: int) -> str:
    for low, high in ((0, 5), (6, 11), (12, 15), (16, 17)):
        if low <= age <= high:
            return f"{low}-{high}"
    return "18-23" if age <= 23 else "24+"


def verify_request(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    age = data["youth_age"]
    ctx.case.age_band = _band(age)
    _record(ctx, data["consents"], mature=data.get("youth_mature"), reasoning=data.get("maturity_reasoning", ""))
    ctx.case.consent_attempts = 0
    overall = status(current(ctx.session, ctx.case), youth_adult=age >= 18)
    return {**small_values(ctx.schema, data), "consent": overall, "consent_attempts": 0, "youth_adult": age >= 18}


def obtain_consent(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    _record(ctx, data["consents"], mature=_youth_mature(ctx.session, ctx.case), reasoning="")
    ctx.case.consent_attempts += 1
    adult = ctx.case.age_band in ("18-23", "24+")
    overall = status(current(ctx.session, ctx.case), youth_adult=adult)
    return {"consent": overall, "youth_endangered": data["youth_endangered"],
            "consent_attempts": ctx.case.consent_attempts}


def inform_youth_without_consent(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    # The professionals meet without the youth's consent: an override the law asks us to trace.
    audit.record(ctx.session, at=ctx.now, actor=ctx.user.username, kind="consent_override",
                 business_key=ctx.case.reference, instance_id=ctx.case.instance_id,
                 detail={"informed_on": data.get("informed_on")})
    return {}
