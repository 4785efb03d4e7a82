"""Service-task operations the diagram may call, by name: queue notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from engine.db import statement
from engine.runtime import ServiceCall

from .cases import loaded_case
from .models import Case, PlanAction, PlanVersion, User, YouthMessage, YouthMessageRecipient
from .notifications import enqueue
from .users import find_active


def _case(call: ServiceCall) -> Case | None:
    return loaded_case(call.session, call.instance.business_key) or call.session.scalar(
        _case_by_reference(), {"reference": call.instance.business_key})


@statement
def _case_by_reference() -> Select:
    return select(Case).where(Case.reference == bindparam("reference"))


_ROUTING_PARAMS = ("reason", "recipient")


def _recipient(call: ServiceCall, case: Case | None) -> User | None:
    name = str(call.params.get("recipient") or "")
    # The diagram names "the case manager" through the case-wide variable set when the case
    # started; after a hand-over (cases.reassign) that name is stale: the case's current
    # manager is meant. An unknown or disabled user also falls back to the case manager.
    if case is not None and (not name or name == call.data.get("case_manager")):
        return call.session.get(User, case.case_manager_id)
    # Likewise the carrier of a plan action, `action["carrier"]` in the diagram, is the one the
    # plan named: after a hand-over (assignments.reassign) the action's current carrier is meant.
    carrier = _carrier_now(call, case)
    if carrier is not None:
        name = carrier.username
    return find_active(call.session, name) or (call.session.get(User, case.case_manager_id) if case else None)


def _carrier_now(call: ServiceCall, case: Case | None) -> User | None:
    action_id = call.params.get("action_id")
    if case is None or not isinstance(action_id, int):
        return None
    action = call.session.get(PlanAction, action_id)
    if action is None or call.session.get(PlanVersion, action.plan_version_id).case_id != case.id:
        return None
    return action.carrier


def notify(call: ServiceCall) -> dict[str, Any]:
    """Queue one notification to `recipient` (a username) for `reason`; the case manager if unknown.

    Other parameters (small ids such as `action_id`, `message_id`) say what it is about.
    """
    case = _case(call)
    reason = str(call.params.get("reason") or "reminder")[:60]
    recipient = _recipient(call, case)
    if recipient is None:
        return {"queued": False}
    detail = {"element": call.element_id,
              **{k: v for k, v in call.params.items()
                 if k not in _ROUTING_PARAMS and isinstance(v, (int, str, bool)) and len(str(v)) <= 60}}
    # A cycle timer late by several periods (the scheduler was stopped) fires them all in one
    # step: the person gets one reminder about the item, not a burst.
    step = call.session.info.setdefault("casework_notified", {})
    same = (call.instance.id, call.now, reason, recipient.id, tuple(sorted(detail.items())))
    if same in step:
        return {"queued": False, "notification": step[same]}
    # The service task's own id is the occurrence: a repeated reminder is a new task, a retried
    # save of the same firing is not.
    key = f"{call.instance.business_key}:{reason}:{call.task_id}"
    step[same] = enqueue(call.session, key=key, recipient=recipient, reason=reason, now=call.now, case=case,
                         detail=detail)
    return {"queued": True, "notification": step[same]}


def inform_professionals(call: ServiceCall) -> dict[str, Any]:
    """Pass a recorded wish or complaint on to the chosen professionals."""
    case = _case(call)
    message = call.session.get(YouthMessage, call.params.get("message_id"))
    if message is None:
        return {"informed": 0}
    informed = 0
    for row in call.session.scalars(select(YouthMessageRecipient).where(
            YouthMessageRecipient.message_id == message.id, YouthMessageRecipient.informed_at.is_(None))):
        row.informed_at = call.now
        enqueue(call.session, key=f"{call.instance.business_key}:youth_{message.kind}:{message.id}:{row.user_id}",
                recipient=row.user, reason=f"youth_{message.kind}", now=call.now, case=case,
                detail={"message_id": message.id})
        informed += 1
    return {"informed": informed}


HANDLERS = {"notify": notify, "inform_professionals": inform_professionals}
