"""Service-task operations the diagram may call, by name: queue notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.runtime import ServiceCall

from .models import Case, User, YouthMessage, YouthMessageRecipient
from .notifications import enqueue
from .users import find_active


def _case(call: ServiceCall) -> Case | None:
    return call.session.scalar(select(Case).where(Case.reference == call.instance.business_key))


def notify(call: ServiceCall) -> dict[str, Any]:
    """Queue one notification to `recipient` (a username) for `reason`; the case manager if unknown."""
    case = _case(call)
    reason = str(call.params.get("reason") or "reminder")[:60]
    recipient = find_active(call.session, str(call.params.get("recipient") or ""))
    if recipient is None and case is not None:
        recipient = call.session.get(User, case.case_manager_id)
    if recipient is None:
        return {"queued": False}
    # The service task's own id is the occurrence: a repeated reminder is a new task, a retried
    # save of the same firing is not.
    key = f"{call.instance.business_key}:{reason}:{call.task_id}"
    detail = {"element": call.element_id, **({"action_id": call.data["action"]["id"]}
                                              if isinstance(call.data.get("action"), dict) else {})}
    row = enqueue(call.session, key=key, recipient=recipient, reason=reason, now=call.now, case=case, detail=detail)
    return {"queued": True, "notification": row.id}


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
