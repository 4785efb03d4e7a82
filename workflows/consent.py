"""Consent of the youth and of each legal representative, and whose consent counts."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import JSON, ColumnElement, Select, bindparam, func, select, text, type_coerce
from sqlalchemy import case as when_then
from sqlalchemy.orm import Session

from engine import audit
from engine.db import statement

from .context import TaskContext
from .forms import small_values
from .models import Case, Consent

REFUSING = ("refused", "withdrawn")
# The steps that decide on the consents recorded so far (their handlers below read them).
DECIDING = ("verify_request", "obtain_consent")


class Decision(Protocol):
    """What whose consent counts is decided on: a Consent, or a row of its columns."""

    person: str
    label: str
    status: str
    youth_mature: bool | None


class Recorded(NamedTuple):
    """A decision as recorded, read with the held task of a consent step (see `decisions_column`)."""

    person: str
    label: str
    status: str
    youth_mature: bool | None


D = TypeVar("D", bound=Decision)


def current(session: Session, case: Case) -> list[Consent]:
    """The latest decision of each person (by person kind and label), oldest first."""
    return latest(list(session.scalars(_decisions_of_case(), {"case_id": case.id})))


def decisions(session: Session, case: Case) -> list[Decision]:
    """Every decision recorded for the case, oldest first: what a step decides on (plain rows)."""
    # A step's decisions are written with its save (`_record`): pending changes need no flush
    # before this read, which goes to the connection directly.
    return list(session.connection().execute(_decisions_of_case(rows=True), {"case_id": case.id}))


def decisions_column(case_id: ColumnElement[int], dialect: str, when: ColumnElement[bool]) -> ColumnElement[Any]:
    """The decisions of case `case_id` as one JSON value on the rows where `when` holds (else
    NULL, and nothing read), for a read of the case's task to carry (see `decisions_from_json`):
    a consent step then needs no statement of its own to read them (a round trip on PostgreSQL).
    Rows as [id, person, label, status, youth_mature]; none recorded: an empty array."""
    if dialect == "postgresql":
        row = func.json_build_array(Consent.id, Consent.person, Consent.label, Consent.status, Consent.youth_mature)
        rows = func.coalesce(func.json_agg(row), text("'[]'::json"))
    else:
        rows = func.json_group_array(func.json_array(Consent.id, Consent.person, Consent.label, Consent.status,
                                                     Consent.youth_mature))
    found = select(rows).where(Consent.case_id == case_id).scalar_subquery()
    return type_coerce(when_then((when, found)), JSON)


def decisions_from_json(value: list[list[Any]] | None) -> list[Recorded] | None:
    """What `decisions_column` read, oldest first (as `decisions` reads them); None if unread."""
    if value is None:
        return None
    ordered = sorted(value, key=lambda row: row[0])  # aggregates promise no order
    return [Recorded(person, label, status, None if mature is None else bool(mature))
            for _id, person, label, status, mature in ordered]


def _earlier(ctx: TaskContext) -> list[Decision]:
    return ctx.consents if ctx.consents is not None else decisions(ctx.session, ctx.case)


def latest(rows: list[D]) -> list[D]:
    """The last of `rows` (oldest first) for each person, by person kind and label."""
    found: dict[tuple[str, str], D] = {}
    for row in rows:
        found[(row.person, row.label.strip().lower())] = row
    return list(found.values())


@statement
def _decisions_of_case(rows: bool = False) -> Select:
    columns = (Consent.person, Consent.label, Consent.status, Consent.youth_mature) if rows else (Consent,)
    return select(*columns).where(Consent.case_id == bindparam("case_id")).order_by(Consent.id)


def status(consents: list[Decision], *, youth_adult: bool = False) -> str:
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


def _record(ctx: TaskContext, earlier: list[Decision], items: list[dict[str, Any]], *, mature: bool | None,
            reasoning: str) -> list[Decision]:
    """Add the step's decisions to its records (written with its save: decisions are never
    changed afterwards, only superseded) and return the latest decision of each person."""
    rows = [{
        "case_id": ctx.case.id, "person": item["person"], "label": item.get("label", ""),
        "status": item["status"], "scope": item.get("scope", ""),
        "decided_on": dt.date.fromisoformat(item["date"]) if item.get("date") else None,
        "collected_by_id": ctx.user.id, "recorded_at": ctx.now, "step": ctx.task.spec_name,
        "youth_mature": mature if item["person"] == "youth" else None,
        "maturity_reasoning": reasoning if item["person"] == "youth" else "",
    } for item in items]
    ctx.records.append((Consent, rows))
    return latest(earlier + [SimpleNamespace(**row) for row in rows])


def _band(age: int) -> str:
    for low, high in ((0, 5), (6, 11), (12, 15), (16, 17)):
        if low <= age <= high:
            return f"{low}-{high}"
    return "18-23" if age <= 23 else "24+"


def is_adult_band(band: str | None) -> bool:
    """Whether a case's age band is an adult's (who decides on consent alone)."""
    return band in ("18-23", "24+")


def verify_request(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    age = data["youth_age"]
    now_known = _record(ctx, _earlier(ctx), data["consents"], mature=data.get("youth_mature"),
                        reasoning=data.get("maturity_reasoning", ""))
    # Set only what changes: the requester's age band is often right already, and an attribute
    # set to its own value still costs the save a flush of the case.
    if ctx.case.age_band != _band(age):
        ctx.case.age_band = _band(age)
    if ctx.case.consent_attempts != 0:
        ctx.case.consent_attempts = 0
    overall = status(now_known, youth_adult=age >= 18)
    return {**small_values(ctx.schema, data), "consent": overall, "consent_attempts": 0, "youth_adult": age >= 18}


def obtain_consent(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    earlier = _earlier(ctx)
    # Maturity was judged at verification: the youth's latest decision carries it on.
    mature = next((row.youth_mature for row in reversed(earlier) if row.person == "youth"), None)
    now_known = _record(ctx, earlier, data["consents"], mature=mature, reasoning="")
    ctx.case.consent_attempts += 1
    adult = is_adult_band(ctx.case.age_band)
    overall = status(now_known, youth_adult=adult)
    return {"consent": overall, "youth_endangered": data["youth_endangered"],
            "consent_attempts": ctx.case.consent_attempts}


def inform_youth_without_consent(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    # The professionals meet without the youth's consent: an override the law asks us to trace.
    audit.record(ctx.session, at=ctx.now, actor=ctx.user.username, kind="consent_override",
                 business_key=ctx.case.reference, instance_id=ctx.case.instance_id,
                 detail={"informed_on": data.get("informed_on")})
    return {}
