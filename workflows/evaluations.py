"""Evaluation of a plan: per objective met or not, cooperation, critical and positive moments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from engine.db import statement

from . import plans
from .context import TaskContext
from .errors import FormError, NotFoundError
from .forms import FieldError
from .models import Case, Evaluation, ObjectiveResult


def defaults(session: Session, case: Case) -> dict[str, Any]:
    plan = plans.current(session, case)
    if plan is None:
        return {}
    # "met" is left unanswered: each objective is judged, none is "not met" by default.
    return {"objectives": [{"objective_id": o.id, "title": o.title, "indicator": o.indicator, "result": ""}
                           for o in plan.objectives]}


def evaluation(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    plan = plans.current(ctx.session, ctx.case)
    if plan is None:
        raise NotFoundError("this case has no plan to evaluate")
    known = {o.id for o in plan.objectives}
    given = [item["objective_id"] for item in data["objectives"]]
    errors = [FieldError(f"objectives/{i}/objective_id", "invalid") for i, oid in enumerate(given) if oid not in known]
    if not errors and set(given) != known:
        errors.append(FieldError("objectives", "objective_missing"))
    if errors:
        raise FormError(errors)
    met = all(item["met"] for item in data["objectives"])
    row = Evaluation(case_id=ctx.case.id, plan_version_id=plan.id, evaluated_by_id=ctx.user.id, evaluated_at=ctx.now,
                     objectives_met=met, cooperation_quality=data["cooperation_quality"],
                     cooperation_comment=data.get("cooperation_comment", ""),
                     critical_moments=data.get("critical_moments", ""),
                     positive_moments=data.get("positive_moments", ""))
    ctx.session.add(row)
    ctx.session.flush()
    for item in data["objectives"]:
        ctx.session.add(ObjectiveResult(evaluation_id=row.id, objective_id=item["objective_id"], met=item["met"],
                                        result=item.get("result", "")))
    return {"objectives_met": met, "pass_number": ctx.case.pass_number}


def exit_defaults(session: Session, case: Case) -> dict[str, Any]:
    """The exit's reason as the last evaluation decided it (objectives met), else none chosen."""
    done = for_case(session, case)
    return {"exit_reason": "objectives_met"} if done and done[-1].objectives_met else {}


def for_case(session: Session, case: Case) -> list[Evaluation]:
    return list(session.scalars(_evaluations_of_case(), {"case_id": case.id}))


@statement
def _evaluations_of_case() -> Select:
    return select(Evaluation).where(Evaluation.case_id == bindparam("case_id")).order_by(Evaluation.evaluated_at)
