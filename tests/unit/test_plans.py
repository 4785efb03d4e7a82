"""What changed between two plan versions, as the case page lists it."""

import datetime as dt

import pytest

from workflows.models import Objective, PlanAction, PlanVersion, User
from workflows.plans import Difference, diff

KARIM, LEA = User(username="karim", display_name="Karim Haddad"), User(username="lea", display_name="Léa Martin")
O1, O2 = Objective(key="O1", title="Reprendre l'école", indicator=""), Objective(key="O2", title="Lieu de vie", indicator="")
DUE = dt.date(2026, 12, 25)


def plan(*actions: tuple) -> PlanVersion:
    """A plan version of (objective, text[, carrier[, due]]) actions, objectives O1 and O2."""
    return PlanVersion(objectives=[O1, O2], actions=[
        PlanAction(objective=a[0], what=a[1], carrier=a[2] if len(a) > 2 else KARIM,
                   due_on=a[3] if len(a) > 3 else DUE, how="", duration="") for a in actions])


def changes(old: PlanVersion, new: PlanVersion) -> list[tuple]:
    return [(c.kind, c.label, c.differences) for c in diff(old, new)]


def test_plan_diff_a_reworded_action_is_changed_not_added_and_removed():
    old = plan((O1, "Rencontrer l'école"), (O2, "Visiter le foyer"))
    new = plan((O1, "Rencontrer la direction de l'école"), (O2, "Visiter le foyer", KARIM, dt.date(2027, 1, 15)))
    assert changes(old, new) == [
        ("changed", "Rencontrer la direction de l'école",
         (Difference("what", "Rencontrer l'école", "Rencontrer la direction de l'école"),)),
        ("changed", "Visiter le foyer", (Difference("due", DUE, dt.date(2027, 1, 15)),)),
    ]


@pytest.mark.parametrize("old, new, expected", [
    # An action dropped and another added further down its objective: not a rewording.
    (plan((O1, "A"), (O1, "B")), plan((O1, "B"), (O1, "C")), [("added", "C", ()), ("removed", "A", ())]),
    # Reworded, first of its objective still, though the list was reordered.
    (plan((O1, "A"), (O2, "B")), plan((O2, "B"), (O1, "C")), [("changed", "C", (Difference("what", "A", "C"),))]),
    # The same place under another objective: not the same action.
    (plan((O1, "A")), plan((O2, "C")), [("added", "C", ()), ("removed", "A", ())]),
    # The same text under another objective: moved there.
    (plan((O1, "A"), (O1, "B")), plan((O1, "B"), (O2, "A", LEA)),
     [("changed", "A", (Difference("objective", O1, O2), Difference("carrier", KARIM, LEA)))]),
    # Two actions with the same text are two actions.
    (plan((O1, "A"), (O1, "A")), plan((O1, "A")), [("removed", "A", ())]),
    # Moved down the list by an action of another objective, and otherwise the same: no change.
    (plan((O1, "A"), (O1, "B")), plan((O2, "X"), (O1, "A"), (O1, "B")), [("added", "X", ())]),
    (plan((O1, "A", KARIM)), plan((O1, "A", LEA)), [("changed", "A", (Difference("carrier", KARIM, LEA),))]),
])
def test_plan_diff_pairs_actions_by_text_then_by_place(old, new, expected):
    assert changes(old, new) == expected


def test_plan_diff_detail_gives_usernames_and_iso_dates():
    change, = diff(plan((O1, "A", KARIM)), plan((O1, "A", LEA, dt.date(2027, 1, 15))))
    assert change.detail == "carrier: karim → lea; due: 2026-12-25 → 2027-01-15"
