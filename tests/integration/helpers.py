"""Shared setup of the integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows import cases, demo
from workflows.users import find_active


@dataclass(frozen=True)
class AtVerification:
    reference: str
    instance_id: int
    task_id: str  # the open verify_request task
    answers: dict[str, Any]  # a valid form for it


def case_at_verification(app, pseudonym: str) -> AtVerification:
    """A new case of anne's, waiting at the verification step, with answers for its form."""
    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym=pseudonym, age_band="12-15", region="Brabant wallon")
        session.flush()
        return AtVerification(case.reference, case.instance_id, demo.open_task(session, case, "verify_request").id,
                              demo.sample(session, app.runtime, case, "verify_request"))
