"""The inbox read model: open tasks a user may act on, faceted counts, pages. Indexed rows only.

Never loads a workflow: everything comes from `human_task` (one row per open user task) and,
for a case manager's view of the partners' actions, `case_file.case_manager_id`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from engine.memo import VersionMemo
from engine.models import HumanTask, ProcessVersion

from .models import Case, PlanAction, User

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
SCOPES = ("mine", "partners")
WINDOWS = ("overdue", "week")
PAGE_SIZE = 25


@dataclass
class Query:
    scope: str = "mine"
    step: str | None = None
    case_ref: str | None = None
    window: str | None = None  # overdue | week
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass
class Counts:
    total: int = 0
    overdue: int = 0
    week: int = 0
    by_step: dict[str, int] = field(default_factory=dict)  # under the current window filter
    titles: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    tasks: list[HumanTask]
    counts: Counts
    query: Query
    now: dt.datetime
    week_end: dt.datetime
    matching: int  # rows under every filter
    pseudonyms: dict[str, str] = field(default_factory=dict)  # case reference -> youth pseudonym
    actions: dict[str, str] = field(default_factory=dict)  # task id -> the plan action it reports on
    people: dict[str, str] = field(default_factory=dict)  # username -> display name (assignees, takers)

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // self.query.page_size))


def end_of_week(now: dt.datetime) -> dt.datetime:
    """Sunday 23:59:59 of the current week, Brussels time, in UTC."""
    local = now.astimezone(BRUSSELS)
    sunday = local.date() + dt.timedelta(days=6 - local.weekday())
    return dt.datetime.combine(sunday, dt.time(23, 59, 59), tzinfo=BRUSSELS).astimezone(dt.UTC)


def scopes_for(user: User) -> tuple[str, ...]:
    if user.role == "case_manager":
        return SCOPES
    if user.role == "professional":
        return ("mine",)
    return ()


def _base(user: User, query: Query) -> Select | None:
    """The scope and the case filter: what every count and the list share."""
    if query.scope not in scopes_for(user):
        return None
    if query.scope == "mine":
        # A case manager's own tasks carry their username as assignee (reassigning a case moves
        # them); a professional's tasks are the plan actions they carry.
        stmt = select(HumanTask).where(HumanTask.assignee == user.username)
        if user.role == "professional":
            stmt = stmt.where(HumanTask.lane == "professional")
    else:  # the partners' actions in the cases this case manager oversees
        stmt = select(HumanTask).where(HumanTask.supervisor == user.username, HumanTask.lane == "professional")
    if query.case_ref:
        stmt = stmt.where(HumanTask.business_key == query.case_ref.strip().upper())
    return stmt


def _window(stmt: Select, window: str | None, now: dt.datetime, week_end: dt.datetime) -> Select:
    if window == "overdue":
        return stmt.where(HumanTask.due_at < now)
    if window == "week":
        return stmt.where(HumanTask.due_at >= now, HumanTask.due_at <= week_end)
    return stmt


def counts(session: Session, user: User, query: Query, now: dt.datetime) -> Counts:
    """Totals per step and per due window in one grouped pass over the user's index range."""
    base = _base(user, query)
    result = Counts()
    if base is None:
        return result
    week_end = end_of_week(now)
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    week = func.sum(case((and_(HumanTask.due_at >= now, HumanTask.due_at <= week_end), 1), else_=0))
    # Index-only on (assignee, spec_name, due_at): no table row is read for the counts.
    stmt = base.with_only_columns(HumanTask.spec_name, func.count(), overdue, week).group_by(HumanTask.spec_name)
    titles = step_titles(session)
    for step, total, late, soon in session.execute(stmt):
        late, soon = int(late or 0), int(soon or 0)
        result.titles[step] = titles.get(step, step)
        in_window = {"overdue": late, "week": soon}.get(query.window or "", total)
        if in_window:
            result.by_step[step] = in_window
        if query.step in (None, "", step):
            result.total += total
            result.overdue += late
            result.week += soon
    return result


def step_titles(session: Session) -> dict[str, str]:
    """User task id -> its label, from the deployed versions (newest wins).

    Versions never change once deployed: each one's labels are read once per process (keyed by
    its content hash too, as ids repeat across databases); a view reads only the version list.
    """
    versions = session.execute(select(ProcessVersion.id, ProcessVersion.content_hash)
                               .order_by(ProcessVersion.id)).all()
    missing = [version_id for version_id, digest in versions if (version_id, digest) not in _TITLES]
    if missing:
        for version_id, digest, elements in session.execute(
                select(ProcessVersion.id, ProcessVersion.content_hash, ProcessVersion.elements)
                .where(ProcessVersion.id.in_(missing))):
            _TITLES.put((version_id, digest), {
                element_id: info["name"] for element_id, info in (elements or {}).items()
                if isinstance(info, dict) and info.get("type") == "userTask" and info.get("name")})
    titles: dict[str, str] = {}
    for version_id, digest in versions:
        titles.update(_TITLES.peek((version_id, digest), {}))
    return titles


_TITLES: VersionMemo[dict[str, str]] = VersionMemo(1024)


def page(session: Session, user: User, query: Query, now: dt.datetime) -> Page:
    """One page of tasks, overdue first then by due date (tasks without a due date last)."""
    week_end = end_of_week(now)
    facet = counts(session, user, query, now)
    base = _base(user, query)
    if base is None:
        return Page([], facet, query, now, week_end, 0)
    matching = facet.by_step.get(query.step, 0) if query.step else sum(facet.by_step.values())
    filtered = _window(base, query.window, now, week_end)
    if query.step:
        filtered = filtered.where(HumanTask.spec_name == query.step)
    offset = (max(1, query.page) - 1) * query.page_size
    # Two index range scans instead of one sort on an expression: dated tasks by due date, then
    # the undated ones (rare) by age.
    dated = list(session.scalars(filtered.where(HumanTask.due_at.is_not(None))
                                 .order_by(HumanTask.due_at, HumanTask.id)
                                 .offset(offset).limit(query.page_size)))
    rows = dated
    if len(dated) < query.page_size and query.window is None:
        dated_total = session.scalar(filtered.where(HumanTask.due_at.is_not(None))
                                     .with_only_columns(func.count())) if offset else len(dated)
        rest_offset = max(0, offset - dated_total)
        rows = dated + list(session.scalars(filtered.where(HumanTask.due_at.is_(None))
                                            .order_by(HumanTask.created_at, HumanTask.id)
                                            .offset(rest_offset).limit(query.page_size - len(dated))))
    # How the team calls the youth, for the page's rows only (one indexed lookup).
    refs = {t.business_key for t in rows}
    names = {ref: name for ref, name in session.execute(
        select(Case.reference, Case.youth_pseudonym).where(Case.reference.in_(refs)))} if refs else {}
    # Which action a report is about: a partner often carries several in one case.
    action_of = {t.item["id"]: t.id for t in rows if isinstance(t.item, dict) and t.spec_name == "report_action"
                 and isinstance(t.item.get("id"), int)}
    actions = {action_of[a_id]: what for a_id, what in session.execute(
        select(PlanAction.id, PlanAction.what).where(PlanAction.id.in_(action_of)))} if action_of else {}
    # Who carries or has taken each task, by name. One's own tasks need no query.
    people = {user.username: user.display_name}
    others = {name for t in rows for name in (t.assignee, t.claimed_by) if name and name not in people}
    if others:
        people.update(session.execute(select(User.username, User.display_name).where(User.username.in_(others))).all())
    return Page(rows, facet, query, now, week_end, matching, names, actions, people)


def network_counts(session: Session, now: dt.datetime) -> list[tuple[str, int, int]]:
    """De-identified figures for coordinators: (step label, open tasks, overdue), by step."""
    titles = step_titles(session)
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    rows = session.execute(select(HumanTask.spec_name, func.count(), overdue).group_by(HumanTask.spec_name))
    return sorted(((titles.get(step, step), total, int(late or 0)) for step, total, late in rows),
                  key=lambda row: -row[1])
