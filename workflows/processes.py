"""Process owners' work: check a bundle (validate + dry run), deploy it, compare versions, migrate cases.

Used by the CLI and the web pages alike. Deploying and migrating are for the `process_owner`
role (the CLI's operator already holds the database); nothing here reads a case's content.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine import names
from engine.bundles import Bundle
from engine.deployments import get_version, list_versions, store_version
from engine.dryrun import DryRunReport, dry_run
from engine.errors import Problem, ValidationError
from engine.migration import ElementChange, MigrationPlan, diff_versions, migrate, plan
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.problem_texts import Alternatives, say
from engine.runtime import Runtime
from engine.scripting import RestrictedEnvironment
from engine.validation import ParsedBundle, validate_bundle

from . import rehearsal, services
from .errors import NotFoundError, PermissionDeniedError
from .models import User

PROCESS_ID = "case_management"


@dataclass
class CheckResult:
    """Everything wrong with a bundle (validation, then the dry run), and the dry run's walk."""

    problems: list[Problem] = field(default_factory=list)
    dry_run: DryRunReport | None = None
    parsed: ParsedBundle | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None and not self.problems


def require_owner(user: User) -> None:
    """Raise PermissionDeniedError unless `user` is an active process owner."""
    if user is None or user.role != "process_owner" or not user.active:
        raise PermissionDeniedError("only process owners change the process")


def domain_problems(parsed: ParsedBundle, bundle: Bundle) -> list[Problem]:
    """Forms that dropped a field casework's own step reads (the case would fail at that step)."""
    problems = []
    for element_id, fields in rehearsal.REQUIRED_FIELDS.items():
        form = parsed.forms.get(element_id)
        text = bundle.form(form) if form else None
        if text is None:
            continue
        properties = (json.loads(text).get("properties") or {})
        for name in fields:
            if name not in properties:
                name_of = parsed.elements.get(element_id, {}).get("name")
                problems.append(Problem(say("form.field_kept", name=name), file="forms/" + form,
                                        element_id=element_id, element_name=name_of))
    return problems


def check(bundle: Bundle, *, today: dt.datetime | None = None, run: bool = True) -> CheckResult:
    """Validate a bundle and, when it is valid, dry-run it. Never raises for the bundle's faults."""
    parsed, problems = validate_bundle(bundle, services=set(services.HANDLERS))
    result = CheckResult(list(problems), None, parsed)
    if parsed is None:
        return result
    result.problems += domain_problems(parsed, bundle)
    if run and not result.problems:
        result.dry_run = dry_run(parsed, bundle, start_data=rehearsal.START_DATA, services=set(services.HANDLERS),
                                 adapt=rehearsal.task_data, preferred=rehearsal.PREFERRED,
                                 messages=rehearsal.MESSAGES, start=today)
        result.problems += result.dry_run.problems
    if not result.problems:
        result.problems += names_unset(parsed, bundle, result.dry_run)
    return result


def names_unset(parsed: ParsedBundle, bundle: Bundle, walked: DryRunReport | None) -> list[Problem]:
    """Conditions that read a name nothing sets: what the process sets itself (engine.names),
    its forms' fields, what the domain's handlers pass on (rehearsal), the start data, the dry
    run's data and the expressions' own helpers all count as set."""
    known = names.set_by_process(parsed) | set(rehearsal.START_DATA) | set(RestrictedEnvironment().globals)
    known |= walked.data_names if walked is not None else set()
    for name, text in bundle.files.items():
        if name.startswith("forms/") and name.endswith(".json"):
            known |= set(json.loads(text).get("properties") or {})
    for element_id in rehearsal.REQUIRED_FIELDS:
        known |= set(rehearsal.task_data(element_id, {}, {}))
    problems = []
    for read, close in names.unknown(names.read_by_conditions(parsed), known):
        hint = say("check.hint", names=Alternatives(say("word.quoted", text=n) for n in close)) if close else ""
        problems.append(Problem(say("check.name_unset", target=read.target, expression=read.expression,
                                    name=read.name, hint=hint), element_id=read.gateway_id,
                                element_name=read.gateway_name))
    return problems


def deploy(session: Session, runtime: Runtime, bundle: Bundle, *, author: str,
           note: str = "") -> tuple[ProcessVersion, bool, CheckResult]:
    """Check then store a bundle as a new version. New cases start on it; running cases stay.

    Raises ValidationError listing every problem (nothing is stored), ConflictError.
    """
    result = check(bundle, today=runtime.clock.now())
    if not result.ok:
        raise ValidationError(result.problems or [Problem(say("bundle.unreadable"))])
    version, created = store_version(session, bundle, result.parsed, codec=runtime.codec, now=runtime.clock.now(),
                                     author=author, note=note[:500])
    return version, created, result


@dataclass
class VersionSummary:
    version: ProcessVersion
    running: int
    changes: list[ElementChange]


def versions(session: Session, process_id: str = PROCESS_ID) -> list[VersionSummary]:
    """Every version, newest first, with its running cases and what changed against the previous one."""
    rows = list_versions(session, process_id)
    summaries = []
    for index, (version, running) in enumerate(rows):
        previous = rows[index + 1][0] if index + 1 < len(rows) else None
        summaries.append(VersionSummary(version, running, diff_versions(previous, version) if previous else []))
    return summaries


def where_cases_stand(session: Session, version: ProcessVersion,
                      limit: int) -> tuple[int, list[tuple[str, str, list[str]]]]:
    """How many cases run on `version`, and for the `limit` oldest (reference, status, the steps
    open): which cases and where they are, for a process owner, no content of them. Reads no
    workflow state (a count, the instances' keys, their open tasks' titles)."""
    running = and_(ProcessInstance.version_id == version.id, ProcessInstance.status != "completed")
    total = session.scalar(select(func.count()).select_from(ProcessInstance).where(running)) or 0
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status)
                           .where(running).order_by(ProcessInstance.id).limit(limit)).all()
    steps: dict[int, list[str]] = {row.id: [] for row in rows}
    if steps:
        for instance_id, title in session.execute(select(HumanTask.instance_id, HumanTask.title)
                                                  .where(HumanTask.instance_id.in_(list(steps)))):
            steps[instance_id].append(title)
    return total, [(row.business_key, row.status, sorted(set(steps[row.id]))) for row in rows]


def instances_to_move(session: Session, target: ProcessVersion, keys: list[str] | None = None) -> list[ProcessInstance]:
    """Running instances on versions older than `target` (or those with these business keys)."""
    query = (select(ProcessInstance).join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
             .where(ProcessVersion.process_id == target.process_id, ProcessInstance.status != "completed")
             .order_by(ProcessInstance.id))
    if keys:
        wanted = [k.strip().upper() for k in keys]
        found = list(session.scalars(query.where(ProcessInstance.business_key.in_(wanted))))
        missing = set(wanted) - {i.business_key for i in found}
        if missing:
            raise NotFoundError(f"no running case {', '.join(sorted(missing))}")
        return found
    return [i for i in session.scalars(query.where(ProcessVersion.number < target.number))]


def target_version(session: Session, number: int, process_id: str = PROCESS_ID) -> ProcessVersion:
    return get_version(session, process_id, number)


def preview(session: Session, runtime: Runtime, instance: ProcessInstance, target: ProcessVersion) -> MigrationPlan:
    return plan(runtime, session, instance, target)


def migrate_one(session: Session, runtime: Runtime, instance: ProcessInstance, target: ProcessVersion, *,
                actor: str) -> MigrationPlan:
    """Move one case; call in a transaction of its own. A case that cannot move is left as it is."""
    return migrate(runtime, session, instance, target, actor=actor)
