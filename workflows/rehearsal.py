"""What a dry run of the case-management process needs from the domain, without a database.

The domain handlers in `tasks.HANDLERS` turn a form into records and return small task data
(consent status, the plan's actions with their reminder dates, ...). A dry run has no
database, so each step's task data is computed here the same way from sample answers, on the
happy path: eligible, consent given, one plan action, objectives met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import plans

START_DATA = {"case_ref": "CM-DRYRUN", "case_manager": "dry-run", "pass_number": 0, "consent_attempts": 0}
MESSAGES = {"youth_message": {"id": 1, "kind": "wish"}}

# Realistic answers where the smallest ones would end the case at once (age 0 in no region).
PREFERRED: dict[str, dict[str, Any]] = {
    "verify_request": {"youth_age": 15, "lives_in_region": True, "severe_complex_multiple": True,
                       "failed_attempts": 2, "youth_informed": True, "youth_endangered": False,
                       "consents": [{"person": "youth", "status": "given"},
                                    {"person": "legal_representative", "label": "mère", "status": "given"}]},
    "evaluation": {"objectives": [{"objective_id": 1, "met": True}]},
    "exit_case": {"exit_reason": "objectives_met"},
}

# Fields the domain handlers read: a form must keep them (checked before a deploy).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "verify_request": ("youth_age", "consents"),
    "obtain_consent": ("consents", "youth_endangered"),
    "concertation": ("held_on", "youth_present", "participants", "objectives", "actions"),
    "report_action": ("status", "result"),
    "evaluation": ("objectives", "cooperation_quality"),
    "exit_case": ("exit_reason",),
    "acknowledge_youth_message": ("inform", "response"),
}


def _small(form: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) < 40)}


def task_data(element_id: str, form: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The task data the domain handler of `element_id` would return for `form` (dry runs only)."""
    small = _small(form)
    pass_number = int(context.get("pass_number") or 0)
    if element_id == "verify_request":
        age = form.get("youth_age") if isinstance(form.get("youth_age"), int) else 15
        return {**small, "consent": "given", "consent_attempts": 0, "youth_adult": age >= 18}
    if element_id == "obtain_consent":
        return {"consent": "given", "youth_endangered": bool(form.get("youth_endangered")),
                "consent_attempts": int(context.get("consent_attempts") or 0) + 1}
    if element_id == "concertation":
        try:
            due = dt.date.fromisoformat(str(form["actions"][0]["due"]))
        except (KeyError, IndexError, TypeError, ValueError):
            due = dt.date(2026, 4, 1)
        return {"pass_number": pass_number + 1, "plan_version": pass_number + 1,
                "youth_present": bool(form.get("youth_present")),
                "plan_actions": [{"id": 1, "carrier": "dry-run", "due": due.isoformat(),
                                  "remind_from": plans.remind_from(due)}], "action_results": []}
    if element_id == "report_action":
        return {"action_status": form.get("status"), "action_result": {"id": 1, "status": form.get("status")}}
    if element_id == "evaluation":
        objectives = form.get("objectives") or []
        met = all(isinstance(o, dict) and o.get("met") for o in objectives)
        return {"objectives_met": met, "pass_number": pass_number}
    if element_id == "acknowledge_youth_message":
        return {"inform": []}
    return small
