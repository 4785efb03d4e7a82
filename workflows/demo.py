"""Fictional demo data: users and cases spread over every step of the process.

Every name here is invented. The sample answers double as the scenario steps of the tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask
from engine.runtime import Runtime

from . import cases, evaluations, messages, tasks
from . import consent as consent_mod
from .models import Case, CaseMember, User
from .users import create_user, find_active

DEMO_PASSWORD = "demo-casework"
DEMO_USERS = (
    # username, display name, role, organisation
    ("anne", "Anne Lambert", "case_manager", "Réseau (fictif)"),
    ("marc", "Marc Dubois", "case_manager", "Réseau (fictif)"),
    ("sophie", "Sophie Renard", "professional", "Service d'aide à la jeunesse (fictif)"),
    ("karim", "Karim Haddad", "professional", "Centre PMS (fictif)"),
    ("lea", "Léa Martin", "professional", "Service de pédopsychiatrie (fictif)"),
    ("tom", "Tom Janssens", "professional", "AMO (fictive)"),
    ("paul", "Paul Leroy", "process_owner", "Réseau (fictif)"),
    ("chantal", "Chantal Simon", "coordinator", "Réseau (fictif)"),
)


def ensure_demo_users(session: Session, now: dt.datetime, password: str = DEMO_PASSWORD) -> list[User]:
    """Create the demo users that do not exist yet (fictional, with example.org addresses)."""
    created = []
    for username, name, role, organisation in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            created.append(create_user(session, username=username, display_name=name, role=role, now=now,
                                       password=password, email=f"{username}@example.org",
                                       organisation=organisation))
    return created


# -- sample answers, one per user task ----------------------------------------------------------------
def _today(runtime: Runtime) -> str:
    return runtime.clock.now().date().isoformat()


# An age in each band the request form offers, for the verification to confirm (the band then stays).
_AGE_IN_BAND = {"0-5": 4, "6-11": 9, "12-15": 14, "16-17": 16, "18-23": 20}


def verify_request(ctx, *, consent: str = "given", eligible: bool = True, endangered: bool = False,
                   clarification: bool = True, age: int | None = None, **_) -> dict[str, Any]:
    if age is None:
        case = ctx.get("case")
        age = _AGE_IN_BAND.get(case.age_band, 15) if case is not None else 15
    age = age if eligible else 25
    consents = [{"person": "youth", "label": "le jeune", "status": consent, "date": ctx["today"]}]
    if age < 18:  # a minor's legal representative is asked too; an adult decides alone
        consents.append({"person": "legal_representative", "label": "mère",
                         "status": consent if consent != "refused" else "given", "date": ctx["today"]})
    return {
        "youth_age": age, "lives_in_region": True, "severe_complex_multiple": True,
        "failed_attempts": 3, "youth_informed": True, "youth_mature": False,
        "consents": consents,
        "objections": "", "ready_to_participate": consent == "given",
        "partners_to_invite": ["Service d'aide à la jeunesse", "Centre PMS"], "resource_persons": ["Grand-mère"],
        "youth_endangered": endangered, "clarification_interview": clarification,
    }


def obtain_consent(ctx, *, consent: str = "given", endangered: bool = False, **_) -> dict[str, Any]:
    consents = [{"person": "youth", "label": "le jeune", "status": consent, "date": ctx["today"]}]
    case = ctx.get("case")
    if case is None or not consent_mod.is_adult_band(case.age_band):
        consents.append({"person": "legal_representative", "label": "mère", "status": "given"})
    return {"consents": consents,
            "attempt_notes": "Rencontre au domicile avec l'éducatrice de référence.", "youth_endangered": endangered}


def concertation(ctx, *, objectives: int = 2, actions: int = 3, carriers: tuple[str, ...] = ("sophie", "karim", "lea"),
                 due_in_days: int = 21, **_) -> dict[str, Any]:
    due = (dt.date.fromisoformat(ctx["today"]) + dt.timedelta(days=due_in_days)).isoformat()
    goals = [("O1", "Reprendre une scolarité adaptée"), ("O2", "Stabiliser le lieu de vie"),
             ("O3", "Renouer le lien avec la famille"), ("O4", "Accéder à un suivi psychologique")][:objectives]
    return {
        "held_on": ctx["today"], "youth_present": True,
        "participants": [{"name": "Sophie Renard", "organisation": "SAJ (fictif)", "kind": "professional", "user": "sophie",
                          "charter_acknowledged": True},
                         {"name": "Karim Haddad", "organisation": "Centre PMS (fictif)", "kind": "professional",
                          "user": "karim", "charter_acknowledged": True},
                         {"name": "Le jeune", "kind": "youth"}],
        "objectives": [{"key": key, "title": title, "indicator": "Constat partagé en concertation"} for key, title in goals],
        "actions": [{"objective": goals[i % len(goals)][0], "what": f"Action {i + 1} : {goals[i % len(goals)][1].lower()}",
                     "carrier": carriers[i % len(carriers)], "due": due, "how": "Rencontres hebdomadaires",
                     "duration": "3 semaines"} for i in range(actions)],
        "shared_information": "Synthèse de la situation scolaire, avec l'accord du jeune.",
    }


def evaluation(ctx, *, met: bool = True, **_) -> dict[str, Any]:
    objectives = [{"objective_id": o["objective_id"], "met": met, "result": "Résultats partagés en réunion."}
                  for o in evaluations.defaults(ctx["session"], ctx["case"])["objectives"]]
    return {"objectives": objectives, "cooperation_quality": 4, "cooperation_comment": "Bonne circulation de l'information.",
            "critical_moments": "Fugue en cours de suivi.", "positive_moments": "Retour à l'école."}


SAMPLES: dict[str, Callable[..., dict[str, Any]]] = {
    "verify_request": verify_request,
    "obtain_consent": obtain_consent,
    "inform_youth_without_consent": lambda ctx, **_: {
        "informed_on": ctx["today"], "informed_by": "le gestionnaire de cas",
        "justification": "Le jeune se met en danger ; les professionnels se réunissent sans son accord."},
    "close_without_consent": lambda ctx, **_: {"reason": "Consentement refusé après trois tentatives.",
                                               "requester_informed": True},
    "inform_requester_not_eligible": lambda ctx, **_: {"requester_informed": True,
                                                       "orientation": "Orientation vers le service de première ligne."},
    "clarification_interview": lambda ctx, **_: {"held_on": ctx["today"], "participants": ["le jeune", "sa mère"],
                                                 "needs": "Retrouver un cadre scolaire et un lieu de vie stable.",
                                                 "tried": "Deux hébergements, un suivi ambulatoire.",
                                                 "leads": "Associer l'école et la grand-mère."},
    "requester_information": lambda ctx, **_: {"needs": "Le demandeur décrit une rupture scolaire.",
                                               "resource_persons": ["Oncle"]},
    "concertation": concertation,
    "report_action": lambda ctx, status="done", **_: {"status": status, "result": "Action menée comme prévu.",
                                                      "effectiveness": "effective"},
    "evaluation": evaluation,
    "exit_case": lambda ctx, **_: {"exit_reason": "objectives_met", "summary": "Objectifs atteints.",
                                   "crisis_plan": "Contacter le gestionnaire de cas en cas de nouvelle impasse."},
    "post_exit_check_in": lambda ctx, **_: {"contacted_on": ctx["today"], "situation": "stable",
                                            "notes": "Situation stable."},
    "acknowledge_youth_message": lambda ctx, inform=None, **_: {
        "response": "Pris en compte ; transmis aux professionnels concernés.",
        "inform": list(inform) if inform is not None else _partners_in(ctx)[:1]},
}


def _partners_in(ctx: dict[str, Any]) -> list[str]:
    """The usernames of the professionals who take part in the case (whom a wish may be told)."""
    session, case = ctx.get("session"), ctx.get("case")
    if session is None or case is None:  # a sample without a case (its form's shape only)
        return ["sophie"]
    return sorted(session.scalars(select(User.username).join(CaseMember, CaseMember.user_id == User.id).where(
        CaseMember.case_id == case.id, User.role == "professional")))


def open_task(session: Session, case: Case, step: str) -> HumanTask | None:
    return session.scalar(select(HumanTask).where(HumanTask.business_key == case.reference,
                                                  HumanTask.spec_name == step).order_by(HumanTask.created_at).limit(1))


def sample(session: Session, runtime: Runtime, case: Case, step: str, **options: Any) -> dict[str, Any]:
    ctx = {"session": session, "case": case, "today": _today(runtime)}
    return SAMPLES[step](ctx, **options)


def advance(session: Session, runtime: Runtime, case: Case, step: str, **options: Any) -> Case:
    """Complete the case's open task `step` with sample answers, as the user who would."""
    task = open_task(session, case, step)
    if task is None:
        raise LookupError(f"{case.reference} has no open task {step}")
    actor = find_active(session, task.assignee) if task.lane == "professional" and task.assignee else None
    actor = actor or session.get(User, case.case_manager_id)
    return tasks.complete(session, runtime, actor, task.id, sample(session, runtime, case, step, **options))


# -- the demo cases --------------------------------------------------------------------------------------
def _path_to(step: str) -> list[tuple[str, dict[str, Any]]]:
    """The steps (with options) that bring a new case to `step`."""
    verified = [("verify_request", {})]
    planned = verified + [("clarification_interview", {}), ("concertation", {})]
    followed = planned + [("report_action", {})] * 3
    return {
        "verify_request": [],
        "obtain_consent": [("verify_request", {"consent": "pending"})],
        "inform_youth_without_consent": [("verify_request", {"consent": "refused", "endangered": True})],
        "clarification_interview": verified,
        "requester_information": [("verify_request", {"clarification": False})],
        "concertation": verified + [("clarification_interview", {})],
        "report_action": planned,
        "evaluation": followed,
        "second_pass": followed + [("evaluation", {"met": False})],
        "exited": followed + [("evaluation", {"met": True}), ("exit_case", {})],
        "closed_not_eligible": [("verify_request", {"eligible": False}), ("inform_requester_not_eligible", {})],
        "closed_no_consent": [("verify_request", {"consent": "pending"})]
        + [("obtain_consent", {"consent": "refused"})] * 3 + [("close_without_consent", {})],
    }[step]


DEMO_CASES = (
    ("verify_request", "Jeune A.", "12-15", "professional"),
    ("verify_request", "Jeune B.", "16-17", "family"),
    ("obtain_consent", "Jeune C.", "16-17", "professional"),
    ("inform_youth_without_consent", "Jeune D.", "12-15", "professional"),
    ("clarification_interview", "Jeune E.", "6-11", "family"),
    ("requester_information", "Jeune F.", "16-17", "professional"),
    ("concertation", "Jeune G.", "12-15", "professional"),
    ("report_action", "Jeune H.", "16-17", "professional"),
    ("report_action", "Jeune I.", "18-23", "youth"),
    ("evaluation", "Jeune J.", "12-15", "professional"),
    ("second_pass", "Jeune K.", "16-17", "professional"),
    ("exited", "Jeune L.", "16-17", "family"),
    ("closed_not_eligible", "Jeune M.", "18-23", "professional"),
    ("closed_no_consent", "Jeune N.", "12-15", "professional"),
)


def seed_cases(session: Session, runtime: Runtime, *, case_manager: str = "anne",
               requester: str = "tom") -> list[Case]:
    """Open the demo cases and walk each to its step; one youth complaint on a followed case."""
    manager = find_active(session, case_manager)
    asker = find_active(session, requester)
    made = []
    for step, pseudonym, band, kind in DEMO_CASES:
        actor = asker if kind == "professional" else manager
        case = cases.start_case(session, runtime, actor=actor, requester_kind=kind, youth_pseudonym=pseudonym,
                                age_band=band, region="Brabant wallon",
                                difficulties="Ruptures répétées de prise en charge (situation fictive).",
                                previous_attempts="Hébergement, suivi ambulatoire (fictif).", case_manager=manager)
        for name, options in _path_to(step):
            advance(session, runtime, case, name, **options)
        made.append(case)
    followed = next(c for c in made if c.youth_pseudonym == "Jeune H.")
    messages.record(session, runtime, user=manager, case=followed, kind="complaint",
                    text="Le jeune se plaint de ne pas être écouté lors des rendez-vous (fictif).")
    return made
