"""Cases: open one on a new request, find it, follow its status; the closing steps."""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.db import statement
from engine.deployments import latest_version
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.runtime import Runtime

from . import notifications
from .context import TaskContext
from .errors import FormError, NotFoundError, PermissionDeniedError
from .forms import FieldError
from .members import add_member
from .models import Case, User

PROCESS_ID = "case_management"
AGE_BANDS = ("0-5", "6-11", "12-15", "16-17", "18-23")
FULL_NAME = "full_name"  # the error code of a pseudonym that reads like a full name
REQUESTER_KINDS = ("youth", "family", "professional")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def new_reference(session: Session) -> str:
    """A pseudonymous reference, e.g. CM-7K3F9Q: random, says nothing about the youth."""
    while True:
        reference = "CM-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))
        if session.scalar(select(Case.id).where(Case.reference == reference)) is None:
            return reference


def _least_loaded_case_manager(session: Session) -> User | None:
    load = (select(Case.case_manager_id, func.count().label("n")).where(Case.status != "closed")
            .group_by(Case.case_manager_id).subquery())
    return session.scalar(select(User).outerjoin(load, load.c.case_manager_id == User.id)
                          .where(User.role == "case_manager", User.active.is_(True))
                          .order_by(func.coalesce(load.c.n, 0), User.id).limit(1))


# First words of a pseudonym as the network writes them ("Jeune A."), never a first name.
_PSEUDONYM_WORDS = {"jeune", "enfant", "ado", "adolescent", "adolescente", "mineur", "mineure", "youth", "young",
                    "child", "teen"}


def looks_like_full_name(text: str) -> bool:
    """Whether a youth's "pseudonym" reads like a first name and a surname ("Jean-Pierre Dupont"):
    two words or more, each a capitalised word of three letters at least, the first not one of
    the words pseudonyms start with. "Jeune A.", "JD", "Lou (12)" are not."""
    words = text.split()
    if len(words) < 2 or words[0].lower() in _PSEUDONYM_WORDS:
        return False
    return all(len(word) >= 3 and word[0].isupper() and word.replace("-", "").replace("'", "").isalpha()
               for word in words)


def _unseen(text: str, *, lines: bool) -> bool:
    """Whether `text` holds a character no one sees: a control character (but a text's line
    breaks and tabs), or an invisible format character such as a zero-width space."""
    allowed = "\n\r\t" if lines else ""
    return any((unicodedata.category(c) in ("Cc", "Cf") or c in _BLANKS) and c not in allowed for c in text)


# Characters drawn as nothing that are not spaces: the Braille blank, the Hangul fillers.
_BLANKS = frozenset("\u2800\u115f\u1160\u3164\uffa0")


def _check_request(fields: dict[str, Any], pseudonym_confirmed: bool = False) -> None:
    errors = []
    for name, allowed in (("requester_kind", REQUESTER_KINDS), ("age_band", AGE_BANDS)):
        if not fields.get(name):  # nothing chosen: said as the task forms say it
            errors.append(FieldError(name, "required"))
        elif fields[name] not in allowed:
            errors.append(FieldError(name, "enum"))
    for name, limit, required in (("youth_pseudonym", 60, True), ("region", 100, True),
                                  ("requester_contact", 300, False)):
        value = (fields.get(name) or "").strip()
        if not value:
            if required:
                errors.append(FieldError(name, "required"))
        elif len(value) > limit:
            errors.append(FieldError(name, "maxLength", {"limit": limit}))
        elif _unseen(value, lines=False):
            errors.append(FieldError(name, "unseen_characters"))
    for name in ("difficulties", "previous_attempts"):
        if len(fields.get(name) or "") > 4000:
            errors.append(FieldError(name, "maxLength", {"limit": 4000}))
        elif _unseen(fields.get(name) or "", lines=True):
            errors.append(FieldError(name, "unseen_characters"))
    if not pseudonym_confirmed and not errors and looks_like_full_name(fields.get("youth_pseudonym") or ""):
        # Health data about a minor: a full name typed by habit is caught before anything is saved.
        errors.append(FieldError("youth_pseudonym", FULL_NAME, custom={
            "fr": "Cela ressemble à un prénom et un nom : donnez un pseudonyme (par exemple « Jeune A. »), ou "
                  "confirmez que c'en est un.",
            "en": "This looks like a first name and a surname: give a pseudonym (\"Jeune A.\", for instance), or "
                  "confirm that it is one."}))
    if errors:
        raise FormError(errors)


def start_case(session: Session, runtime: Runtime, *, actor: User, requester_kind: str, youth_pseudonym: str,
               age_band: str, region: str, difficulties: str = "", previous_attempts: str = "",
               requester_contact: str = "", case_manager: User | None = None,
               version: ProcessVersion | None = None, pseudonym_confirmed: bool = False) -> Case:
    """Open a case on a new request and start its process at the verification step.

    Raises FormError (listing every field in error; a pseudonym that reads like a full name is
    one, code FULL_NAME, unless `pseudonym_confirmed`), PermissionDeniedError, NotFoundError when
    the process is not deployed.
    """
    if actor.role not in ("case_manager", "professional") or not actor.active:
        raise PermissionDeniedError("only case managers and professionals introduce requests")
    fields = dict(requester_kind=requester_kind, youth_pseudonym=youth_pseudonym, age_band=age_band, region=region,
                  difficulties=difficulties, previous_attempts=previous_attempts, requester_contact=requester_contact)
    _check_request(fields, pseudonym_confirmed)
    if case_manager is None:
        case_manager = actor if actor.role == "case_manager" else _least_loaded_case_manager(session)
    if case_manager is None:
        raise NotFoundError("there is no active case manager to take the request")
    version = version or latest_version(session, PROCESS_ID)
    now = runtime.clock.now()
    case = Case(reference=new_reference(session), requester_kind=requester_kind,
                requester_user_id=actor.id if actor.role == "professional" else None,
                requester_contact=requester_contact.strip(), youth_pseudonym=youth_pseudonym.strip(),
                age_band=age_band, region=region.strip(), difficulties=difficulties.strip(),
                previous_attempts=previous_attempts.strip(), case_manager_id=case_manager.id, opened_at=now)
    session.add(case)
    session.flush()
    if actor.role == "professional":
        add_member(session, case, actor, "requester", now)
    instance = runtime.start(session, version, business_key=case.reference, actor=actor.username, data={
        "case_ref": case.reference, "case_manager": case_manager.username, "pass_number": 0, "consent_attempts": 0})
    case.instance_id = instance.id
    return case


def loaded_case(session: Session, reference: str) -> Case | None:
    """The case if this session has it already (no query), else None."""
    return next((obj for obj in session.identity_map.values()
                 if isinstance(obj, Case) and obj.reference == reference), None)


def cases_of(session: Session, instances: list[ProcessInstance]) -> list[Case]:
    """Runtime prefetch: the cases of a batch of instances about to fire, in one read (their
    steps then find them in the session: the services, the save hook)."""
    return list(session.scalars(_cases_by_references(), {"refs": [i.business_key for i in instances]}))


@statement
def _cases_by_references() -> Select:
    return select(Case).where(Case.reference.in_(bindparam("refs", expanding=True)))


@statement
def _case_by_reference() -> Select:
    return select(Case).where(Case.reference == bindparam("reference"))


def get_case(session: Session, reference: str) -> Case:
    case = session.scalar(_case_by_reference(), {"reference": (reference or "").strip().upper()})
    if case is None:
        raise NotFoundError(f"no case {reference}")
    return case


def instance_of(session: Session, case: Case) -> ProcessInstance:
    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    if instance is None:
        raise NotFoundError(f"case {case.reference} has no process")
    return instance


def sync_case_status(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, now: dt.datetime,
                     new_tasks: list[HumanTask]) -> None:
    """Runtime save hook: a finished process closes its case; new tasks are overseen by the case's
    current manager, new case-manager tasks go to them (the diagram knows the manager who was
    there when the case opened), and the professionals who carry new actions are told."""
    if instance.status != "completed" and not new_tasks:
        return
    case = loaded_case(session, instance.business_key)
    if case is None:  # not loaded by the caller (a timer, a message): read it
        case = session.scalar(select(Case).where(Case.reference == instance.business_key))
    if case is None:
        return
    manager = session.get(User, case.case_manager_id)  # not case.case_manager: stale right after a hand-over
    for row in new_tasks:
        row.supervisor = manager.username
        if row.lane == "case_manager":
            row.assignee = manager.username
    carried = [row for row in new_tasks if row.lane == "professional" and row.assignee]
    if carried:
        notifications.tell_carriers(session, case, carried, now)
    if instance.status == "completed" and case.status != "closed":
        case.status, case.closed_at = "closed", now
        notifications.tell_requester(session, case, now)  # once: not again after an exit


def check_hand_over(case: Case, *, actor: User, to: User) -> None:
    """Raises PermissionDeniedError unless `actor` may hand `case` to `to` (see `reassign`): the
    case's own case manager, or a coordinator (a colleague away: see `hand_over_all`)."""
    if actor.role != "coordinator" and (actor.role != "case_manager" or case.case_manager_id != actor.id):
        raise PermissionDeniedError("only the case's own case manager hands it over")
    if to.role != "case_manager" or not to.active:
        raise PermissionDeniedError("%(name)s is not an active case manager", name=to.display_name)


def held_by(session: Session, manager: User) -> list[Case]:
    """The cases a case manager holds that are not closed, oldest first."""
    return list(session.scalars(select(Case).where(Case.case_manager_id == manager.id, Case.status != "closed")
                                .order_by(Case.opened_at, Case.id)))


def hand_over_all(session: Session, *, actor: User, away: User, to: User, now: dt.datetime) -> int:
    """A coordinator hands every case of a case manager who is away (ill, on leave, gone) to a
    colleague, each as `reassign` does (audited, the colleague notified), without reading any of
    them. Returns how many. Raises PermissionDeniedError."""
    if actor.role != "coordinator":
        raise PermissionDeniedError("a coordinator hands over a colleague's cases")
    if away.role != "case_manager" or away.id == to.id:
        raise PermissionDeniedError("choose two different case managers")
    handed = held_by(session, away)
    for case in handed:
        reassign(session, case, actor=actor, to=to, now=now)
    return len(handed)


def reassign(session: Session, case: Case, *, actor: User, to: User, now: dt.datetime) -> None:
    """Hand a case to another case manager (their open tasks follow, and the partners' actions
    are overseen by the new manager)."""
    check_hand_over(case, actor=actor, to=to)
    previous = case.case_manager.username
    case.case_manager_id = to.id
    for task in session.scalars(select(HumanTask).where(HumanTask.business_key == case.reference)):
        task.supervisor = to.username
        if task.assignee == previous:
            task.assignee, task.claimed_by = to.username, None
    audit.record(session, at=now, actor=actor.username, kind="case_reassigned", business_key=case.reference,
                 instance_id=case.instance_id, detail={"from": previous, "to": to.username})
    # The new case manager learns at once that the case and its open tasks are theirs now.
    notifications.enqueue(session, key=f"{case.reference}:{notifications.CASE_HANDED_OVER}:{now.isoformat()}:"
                          f"{to.username}", recipient=to, reason=notifications.CASE_HANDED_OVER, now=now, case=case,
                          detail={"from": previous})


# -- closing steps ------------------------------------------------------------------------------
def inform_requester_not_eligible(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    ctx.case.outcome = "not_eligible"
    return {}


def close_without_consent(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    ctx.case.outcome = "no_consent"
    return {}


def exit_case(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    ctx.case.status, ctx.case.outcome = "exited", data["exit_reason"]
    notifications.tell_requester(ctx.session, ctx.case, ctx.now)
    return {"exit_reason": data["exit_reason"]}
