"""The inbox read model: open tasks a user may act on, faceted counts, pages. Indexed rows only.

Never loads a workflow: everything comes from `human_task` (one row per open user task) and,
for a case manager's view of the partners' actions, `case_file.case_manager_id`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from engine.clock import BRUSSELS
from engine.db import statement
from engine.memo import VersionMemo
from engine.models import HumanTask, ProcessVersion

from .drafts import TaskDraft
from .errors import NotFoundError
from .forms import load_schema
from .models import Case, PlanAction, User

SCOPES = ("mine", "partners")
WINDOWS = ("overdue", "week", "draft")  # due windows, and the tasks whose form has a draft
PAGE_SIZE = 25
MIN_PART = 3  # characters of a partial case reference, besides its "CM-" prefix
MAX_KEYS = 500  # cases a partial reference is looked up as, one by one; beyond, read in each statement
_WHOLE_REFERENCE = re.compile(r"CM-[0-9A-Z]{6}")  # as workflows.cases.new_reference makes them
REFERENCE_CHARACTERS = re.compile(r"[A-Za-z0-9-]+")  # what a reference, or a part of one, may hold


@dataclass
class Query:
    scope: str = "mine"
    step: str | None = None
    case_ref: str | None = None  # a case reference or part of one, as typed (see `case_filter`)
    window: str | None = None  # overdue | week | draft
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass
class Counts:
    total: int = 0
    overdue: int = 0
    week: int = 0
    draft: int = 0  # tasks whose form has a saved draft
    by_step: dict[str, int] = field(default_factory=dict)  # under the current window filter
    titles: dict[str, str] = field(default_factory=dict)  # each step's label (see `step_titles`)


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
    drafts: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)  # task id -> (saved at, by whom)

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


def case_filter(typed: str | None) -> str | None:
    """How a typed case reference filters the inbox: "whole" (a whole reference, looked up by
    equality), "part" (the references holding it, in any case, as the cases search matches them),
    or None (nothing typed, or fewer than MIN_PART characters besides a "CM-" prefix: no filter)."""
    text = (typed or "").strip().upper()
    if _WHOLE_REFERENCE.fullmatch(text):
        return "whole"
    return "part" if len(text.removeprefix("CM-")) >= MIN_PART else None


# Statements are built once per shape (scope, who, which filters), with parameters for the values
# (engine.db.statement). A shape is a tuple of its flags.
Shape = tuple[str, bool, str | None]  # scope, the user is a professional, the case filter (see `_of_case`)


def _shape(user: User, query: Query) -> Shape | None:
    if query.scope not in scopes_for(user):
        return None
    return (query.scope, user.role == "professional", case_filter(query.case_ref))


def _params(user: User, query: Query, now: dt.datetime) -> dict[str, Any]:
    return {"username": user.username, "case_ref": (query.case_ref or "").strip().upper(), "now": now,
            "week_end": end_of_week(now), "step": query.step}


def _prepared(session: Session, user: User, query: Query, now: dt.datetime) -> tuple[Shape | None, dict[str, Any]]:
    """The statements' shape and parameters. A part of a reference is first looked up as the
    business keys holding it (one scan of their index), so that every statement then reads
    those cases' tasks from that index; a part held by more than MAX_KEYS keys is read again
    by each statement instead (`_of_case`)."""
    shape, params = _shape(user, query), _params(user, query, now)
    if shape is None or shape[2] != "part":
        return shape, params
    # References are in capitals (workflows.cases.new_reference); so is the typed text here.
    params["case_part"] = "%" + params["case_ref"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    keys = list(session.scalars(_keys_holding(), {**params, "limit": MAX_KEYS + 1}))
    if len(keys) > MAX_KEYS:
        return (*shape[:2], "many"), params
    return shape, {**params, "case_keys": keys}


@statement
def _keys_holding() -> Select:
    return _holding(aliased(HumanTask)).distinct().limit(bindparam("limit"))


def _holding(keys) -> Select:
    return select(keys.business_key).where(keys.business_key.like(bindparam("case_part"), escape="\\"))


class _Likely(FunctionElement):
    """A criterion SQLite's planner is told holds for almost every row (`likelihood(x, 0.99)`),
    so that it does not start from its index; the criterion itself elsewhere."""

    type = Boolean()
    inherit_cache = True


@compiles(_Likely)
def _likely_anywhere(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_Likely, "sqlite")
def _likely_on_sqlite(element, compiler, **kw) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.99)"


def _scope(task, shape: Shape, *, drafted: bool = False) -> list[ColumnElement[bool]]:
    """The scope and the case filter, on `task` (HumanTask or an alias): what every count and the
    list share. `drafted`: only the tasks whose form has a draft, found from the drafts' side (a
    person has a few drafts and may hold thousands of tasks; without statistics on an empty or
    new table, SQLite would start from the person's tasks, 5 ms for 10,000 of them)."""
    if drafted:
        return [task.id.in_(select(TaskDraft.task_id)), *(_Likely(c) for c in _scope(task, shape))]
    scope, professional, by_case = shape
    if scope == "mine":
        # A case manager's own tasks carry their username as assignee (reassigning a case moves
        # them); a professional's tasks are the plan actions they carry.
        criteria = [task.assignee == bindparam("username")]
        if professional:
            criteria.append(task.lane == "professional")
    else:  # the partners' actions in the cases this case manager oversees
        criteria = [task.supervisor == bindparam("username"), task.lane == "professional"]
    if by_case:  # a case's few tasks, found from its key's index (the person's may be thousands)
        return [_of_case(task, by_case), *(_Likely(c) for c in criteria)]
    return criteria


def _of_case(task, by_case: str) -> ColumnElement[bool]:
    """A whole reference ("whole"), the keys a part of one was found in ("part"), or the keys
    holding it, read in the statement (a part held by many: "many"; see `_prepared`)."""
    if by_case == "whole":
        return task.business_key == bindparam("case_ref")
    if by_case == "part":
        return task.business_key.in_(bindparam("case_keys", expanding=True))
    return task.business_key.in_(_holding(aliased(HumanTask)))


def _window(task, window: str | None) -> list[ColumnElement[bool]]:
    if window == "overdue":
        return [task.due_at < bindparam("now")]
    if window == "week":
        return [task.due_at >= bindparam("now"), task.due_at <= bindparam("week_end")]
    return []  # "draft": see `_scope`


@statement
def _counts_statement(shape: Shape) -> Select:
    # Totals per step, then each step's due windows counted on its own index range: comparing
    # every row's due date in the grouped pass cost three times as much on SQLite.
    steps = (select(HumanTask.spec_name, func.count().label("total")).where(*_scope(HumanTask, shape))
             .group_by(HumanTask.spec_name).cte("steps"))

    def within(window: str):
        task = aliased(HumanTask)
        return (select(func.count()).select_from(task)
                .where(*_scope(task, shape), task.spec_name == steps.c.spec_name, *_window(task, window))
                .scalar_subquery())

    drafted = aliased(HumanTask)
    drafts = (select(drafted.spec_name, func.count().label("n")).where(*_scope(drafted, shape, drafted=True))
              .group_by(drafted.spec_name).cte("drafts"))
    return (select(steps.c.spec_name, steps.c.total, within("overdue"), within("week"), func.coalesce(drafts.c.n, 0))
            .outerjoin(drafts, drafts.c.spec_name == steps.c.spec_name))


def counts(session: Session, user: User, query: Query, now: dt.datetime,
           titles: dict[str, str] | None = None) -> Counts:
    """Totals per step and per due window, from the user's index ranges only; steps labelled by
    `titles` (default: `step_titles` in the diagram's language)."""
    return _counts(session, query, *_prepared(session, user, query, now), titles)


def _counts(session: Session, query: Query, shape: Shape | None, params: dict[str, Any],
            titles: dict[str, str] | None) -> Counts:
    result = Counts()
    if shape is None:
        return result
    titles = step_titles(session) if titles is None else titles
    for step, total, late, soon, drafted in session.execute(_counts_statement(shape), params):
        result.titles[step] = titles.get(step, step)
        in_window = {"overdue": late, "week": soon, "draft": drafted}.get(query.window or "", total)
        if in_window:
            result.by_step[step] = in_window
        if query.step in (None, "", step):
            result.total += total
            result.overdue += late
            result.week += soon
            result.draft += drafted
    return result


def step_titles(session: Session, locale: str = "fr") -> dict[str, str]:
    """User task id -> its label, from the deployed versions (newest wins). In English, the
    title its form gives in English (`x-title-en`), where it gives one: a diagram names its
    steps in one language, its forms may name them in two.

    Versions never change once deployed: each one's labels are read once per process (keyed by
    its content hash too, as ids repeat across databases); a view reads only the version list.
    """
    english = locale == "en"
    versions = session.execute(_versions()).all()
    missing = [version_id for version_id, digest in versions if (version_id, digest, english) not in _TITLES]
    if missing:
        columns = [ProcessVersion.id, ProcessVersion.content_hash, ProcessVersion.elements]
        if english:  # the forms, read once per version and language
            columns += [ProcessVersion.forms, ProcessVersion.files]
        for version_id, digest, elements, *forms in session.execute(
                select(*columns).where(ProcessVersion.id.in_(missing))):
            titles = {element_id: info["name"] for element_id, info in (elements or {}).items()
                      if isinstance(info, dict) and info.get("type") == "userTask" and info.get("name")}
            if english:
                titles.update(english_titles(*forms))
            _TITLES.put((version_id, digest, english), titles)
    titles: dict[str, str] = {}
    for version_id, digest in versions:
        titles.update(_TITLES.peek((version_id, digest, english), {}))
    return titles


def english_titles(forms: dict[str, str] | None, files: dict[str, str] | None) -> dict[str, str]:
    """A version's user task id -> the English title its form gives (`x-title-en`), where it gives one."""
    found = {}
    for element_id, form in (forms or {}).items():
        try:
            schema = load_schema(files or {}, form)
        except (NotFoundError, ValueError):  # a form the version lacks or cannot parse: its name
            continue
        title = schema.get("x-title-en") if isinstance(schema, dict) else None
        if isinstance(title, str) and title.strip():
            found[element_id] = title.strip()
    return found


_TITLES: VersionMemo[dict[str, str]] = VersionMemo(1024)


@statement
def _versions() -> Select:
    return select(ProcessVersion.id, ProcessVersion.content_hash).order_by(ProcessVersion.id)


@statement
def _rows_statement(shape: Shape, window: str | None, by_step: bool, dated: bool, count: bool = False) -> Select:
    """One page of the tasks with a due date, by due date (`dated`), or of those without, by age."""
    stmt = select(func.count() if count else HumanTask).where(*_scope(HumanTask, shape, drafted=window == "draft"),
                                                               *_window(HumanTask, window))
    if by_step:
        stmt = stmt.where(HumanTask.spec_name == bindparam("step"))
    if window == "draft":  # a few rows: dated and undated in one, by due date then age
        return (stmt.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.business_key,
                              HumanTask.created_at, HumanTask.id)
                .offset(bindparam("offset")).limit(bindparam("limit")))
    if count:
        return stmt.where(HumanTask.due_at.is_not(None))
    if dated:
        # Tasks due the same day (a plan's actions, to the minute) stay together by case.
        stmt = stmt.where(HumanTask.due_at.is_not(None)).order_by(HumanTask.due_at, HumanTask.business_key,
                                                                   HumanTask.id)
    else:
        stmt = stmt.where(HumanTask.due_at.is_(None)).order_by(HumanTask.created_at, HumanTask.id)
    return stmt.offset(bindparam("offset")).limit(bindparam("limit"))


@statement
def _around_rows() -> tuple[Select, Select, Select, Select]:
    """What the rows of a page show beside each task: the youth's pseudonym, the plan action it
    reports on, the names of who carries or took it, the draft saved of its form."""
    return (select(Case.reference, Case.youth_pseudonym).where(Case.reference.in_(bindparam("refs", expanding=True))),
            select(PlanAction.id, PlanAction.what).where(PlanAction.id.in_(bindparam("ids", expanding=True))),
            select(User.username, User.display_name).where(User.username.in_(bindparam("names", expanding=True))),
            select(TaskDraft.task_id, TaskDraft.saved_at, User.display_name).join(User, User.id == TaskDraft.saved_by_id)
            .where(TaskDraft.task_id.in_(bindparam("tasks", expanding=True))))


def page(session: Session, user: User, query: Query, now: dt.datetime,
         titles: dict[str, str] | None = None, *, clamp: bool = False) -> Page:
    """One page of tasks, overdue first then by due date (tasks without a due date last); steps
    labelled by `titles` (see `counts`). `clamp`: a page past the last one is the last one (its
    `query` says which), not an empty page (tasks done meanwhile, an old link)."""
    week_end = end_of_week(now)
    shape, params = _prepared(session, user, query, now)
    facet = _counts(session, query, shape, params, titles)
    if shape is None:
        return Page([], facet, query, now, week_end, 0)
    matching = facet.by_step.get(query.step, 0) if query.step else sum(facet.by_step.values())
    last = max(1, -(-matching // query.page_size))
    if clamp and query.page > last:
        query = replace(query, page=last)
    offset = (max(1, query.page) - 1) * query.page_size
    rows_of = functools.partial(_rows_statement, shape, query.window, bool(query.step))
    # Two index range scans instead of one sort on an expression: dated tasks by due date, then
    # the undated ones (rare) by age.
    rows = list(session.scalars(rows_of(True), {**params, "offset": offset, "limit": query.page_size}))
    if len(rows) < query.page_size and query.window is None:
        dated_total = session.scalar(rows_of(True, True), params) if offset else len(rows)
        rows += session.scalars(rows_of(False), {**params, "offset": max(0, offset - dated_total),
                                                 "limit": query.page_size - len(rows)})
    pseudonyms, plan_actions, display_names, saved_drafts = _around_rows()
    # How the team calls the youth, for the page's rows only (one indexed lookup).
    refs = {t.business_key for t in rows}
    names = dict(session.execute(pseudonyms, {"refs": list(refs)}).all()) if refs else {}
    # Which action a report is about: a partner often carries several in one case.
    action_of = {t.item["id"]: t.id for t in rows if isinstance(t.item, dict) and t.spec_name == "report_action"
                 and isinstance(t.item.get("id"), int)}
    actions = {action_of[a_id]: what for a_id, what in session.execute(
        plan_actions, {"ids": list(action_of)})} if action_of else {}
    # Who carries or has taken each task, by name. One's own tasks need no query.
    people = {user.username: user.display_name}
    others = {name for t in rows for name in (t.assignee, t.claimed_by) if name and name not in people}
    if others:
        people.update(session.execute(display_names, {"names": list(others)}).all())
    # A form begun and saved as a draft: the busy day's "where was I?".
    drafts = {task: (at, by) for task, at, by in session.execute(saved_drafts, {"tasks": [t.id for t in rows]})} \
        if rows else {}
    return Page(rows, facet, query, now, week_end, matching, names, actions, people, drafts)


def network_counts(session: Session, now: dt.datetime,
                   titles: dict[str, str] | None = None) -> list[tuple[str, int, int]]:
    """De-identified figures for coordinators: (step label, open tasks, overdue), by step."""
    titles = step_titles(session) if titles is None else titles
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    rows = session.execute(select(HumanTask.spec_name, func.count(), overdue).group_by(HumanTask.spec_name))
    return sorted(((titles.get(step, step), total, int(late or 0)) for step, total, late in rows),
                  key=lambda row: -row[1])
