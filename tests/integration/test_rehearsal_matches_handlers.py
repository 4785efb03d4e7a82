"""The dry run's stand-in task data (workflows/rehearsal.py) keeps the shape the real handlers give.

A dry run has no database, so rehearsal.task_data mirrors each domain handler by hand; this test
walks a real case through the real handlers and fails when the two drift apart.
"""

import pytest

from workflows import cases, demo, rehearsal, tasks
from workflows.users import find_active


@pytest.mark.sqlite_only
def test_rehearsal_task_data_has_the_keys_of_every_real_handler(app, monkeypatch):
    seen: dict[str, tuple[dict, dict]] = {}
    for name, handler in list(tasks.HANDLERS.items()):
        def recording(ctx, data, _name=name, _handler=handler):
            out = _handler(ctx, data)
            seen[_name] = (data, out)
            return out
        monkeypatch.setitem(tasks.HANDLERS, name, recording)

    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune Q.",
                                age_band="12-15", region="Brabant wallon")
        for step, options in [("verify_request", {"consent": "pending"}), ("obtain_consent", {}),
                              ("clarification_interview", {}), ("concertation", {"actions": 1}),
                              ("report_action", {}), ("evaluation", {"met": True}), ("exit_case", {})]:
            demo.advance(session, app.runtime, case, step, **options)

    context = {"pass_number": 0, "consent_attempts": 0}
    for step, (form, real) in seen.items():
        if step in ("inform_youth_without_consent", "inform_requester_not_eligible", "close_without_consent"):
            continue
        stand_in = rehearsal.task_data(step, form, context)
        assert set(real) <= set(stand_in), (step, sorted(set(real) - set(stand_in)))
    assert {"verify_request", "obtain_consent", "concertation", "report_action", "evaluation", "exit_case"} <= set(seen)
