"""Cases waiting on timers, for the scheduler tests and bench/timers.py.

A few cases go through the real runtime; `clone_instances` copies their rows in SQL for volume
(new task ids, new references), so what the scheduler then fires is a real workflow state.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance
from workflows import cases, demo
from workflows.bootstrap import Casework
from workflows.models import Case, User

# The steps that bring a new case to each timer of the process.
TO_TIMER: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "consent_reminder": [("verify_request", {"consent": "pending"})],
    "concertation_reminder": [("verify_request", {}), ("clarification_interview", {})],
    "action_overdue": [("verify_request", {}), ("clarification_interview", {}),
                       ("concertation", {"actions": 2, "due_in_days": 3, "carriers": ("sophie", "karim")})],
    "post_exit_wait": [("verify_request", {}), ("clarification_interview", {}),
                       ("concertation", {"actions": 1, "carriers": ("sophie",)}), ("report_action", {}),
                       ("evaluation", {"met": True}), ("exit_case", {})],
}


def user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def new_case(session: Session, app: Casework, steps: Iterable[tuple[str, dict[str, Any]]] = (), *,
             case_manager: str = "anne") -> Case:
    """A case started by its case manager and walked through `steps` with the demo's answers."""
    manager = user(session, case_manager)
    case = cases.start_case(session, app.runtime, actor=manager, requester_kind="family", youth_pseudonym="Jeune T.",
                            age_band="12-15", region="Brabant wallon", case_manager=manager)
    for name, options in steps:
        demo.advance(session, app.runtime, case, name, **options)
    return case


def case_at(app: Casework, timer: str, **kwargs) -> str:
    """Start a case and bring it to `timer` in its own transaction; return its reference."""
    with app.db.transaction() as session:
        return new_case(session, app, TO_TIMER[timer], **kwargs).reference


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _fresh_ids(state: str) -> tuple[str, dict[str, str]]:
    mapping: dict[str, str] = {}

    def swap(match: re.Match) -> str:
        old = match.group(0)
        if old not in mapping:
            mapping[old] = str(uuid.uuid4())
        return mapping[old]

    return _UUID.sub(swap, state), mapping


def clone_instances(session: Session, reference: str, count: int, *,
                    due_times: list[dt.datetime] | None = None) -> list[str]:
    """Copy a case and its process instance `count` times (new references, new task ids).

    Every task UUID in the copied state is replaced consistently, so the copies are independent
    workflows; their open human tasks are copied too. `due_times` (one per copy) moves the
    source's next timer: the due time written in the state by SpiffWorkflow and the
    `next_timer_due` column alike. Returns the new references.
    """
    case = session.scalar(select(Case).where(Case.reference == reference))
    instance = session.get(ProcessInstance, case.instance_id)
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)))
    case_columns = [c.key for c in Case.__table__.columns if c.key not in ("id", "reference", "instance_id")]
    instance_columns = [c.key for c in ProcessInstance.__table__.columns
                        if c.key not in ("id", "business_key", "state")]
    task_columns = [c.key for c in HumanTask.__table__.columns if c.key not in ("id", "instance_id", "business_key")]
    source_due = instance.next_timer_due.isoformat() if due_times else None
    if due_times is not None:
        assert len(due_times) == count
        assert instance.state.count(f'"{source_due}"') == 1, "the next due time must appear once in the state"
    references = []
    chunk = 500
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        refs = ["CM-" + "".join(secrets.choice(_ALPHABET) for _ in range(8)) for _ in range(n)]
        states = [_fresh_ids(instance.state) for _ in range(n)]
        rows = []
        for i, (ref, (state, _)) in enumerate(zip(refs, states, strict=True)):
            row = {c: getattr(instance, c) for c in instance_columns}
            row.update(business_key=ref, state=state, revision=1)
            if due_times is not None:
                due = due_times[start + i].astimezone(dt.UTC)
                row.update(next_timer_due=due, state=state.replace(f'"{source_due}"', f'"{due.isoformat()}"'))
            rows.append(row)
        ids = list(session.scalars(insert(ProcessInstance).returning(ProcessInstance.id,
                                                                     sort_by_parameter_order=True), rows))
        session.execute(insert(Case), [{**{c: getattr(case, c) for c in case_columns},
                                        "reference": ref, "instance_id": iid} for ref, iid in zip(refs, ids, strict=True)])
        task_rows = []
        for ref, iid, (_, mapping) in zip(refs, ids, states, strict=True):
            for task in tasks:
                task_rows.append({**{c: getattr(task, c) for c in task_columns},
                                  "id": mapping.get(task.id, str(uuid.uuid4())), "instance_id": iid,
                                  "business_key": ref})
        if task_rows:
            session.execute(insert(HumanTask), task_rows)
        references += refs
    return references
