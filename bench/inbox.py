"""Inbox page, case page and task completion, server-side, with 10,000 open cases (SQLite, PostgreSQL).

Two completions: the case manager's verification of a new request (the target's probe), and a
partner's report on their action of a plan being followed (one of three open reports, so the
process waits on for the others).

Seeding: a few real cases run through the process (demo paths), then their rows are cloned in
SQL up to N open cases (case, instance, open task, membership, and the records a case past its
concertation has: two consents, a plan of two objectives and three actions; one task in 170 has a
saved draft, about 60 in anne's inbox, for its "Brouillons" count and filter): 40 are marc's (a
case manager with a usual load), all the others anne's (the worst case: one person holds every
case). Clones are only read (inbox, case list), but they fill the tables a completion's
statements search (consents, plans, actions) as a year of work would; pages and completions that
load a workflow use real cases. Requests go through the
Flask test client; the time taken is the application's own (a WSGI middleware around the app:
routing, session, queries, templates, commit), without the network and without the test client's
work of building the request and reading the response.

Two baselines are measured in the same run, interleaved with the requests (one of each per
round, so that a slow spell of a shared machine hits every figure alike):
- floor: the least any signed-in form post costs here (session cookie, CSRF, the user read,
  an empty write transaction committed), through the same app;
- engine: SpiffWorkflow's own work for the completed step, in memory (the saved state parsed
  and restored on pooled specs, the task run, the process run to its next wait, the state
  serialized), with no database and no web.

    .venv/bin/python bench/inbox.py [--cases 10000] [--requests 200] [--db sqlite|postgresql|both] [--explain]

Targets (issue 3): inbox p95 < 20 ms; task completion median < 5 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import clock as clock_mod  # noqa: E402
from engine.bundles import Bundle  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.deployments import deploy  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.scripting import ScriptEngine  # noqa: E402
from engine.serializer import triggered  # noqa: E402
from web import create_app  # noqa: E402
from workflows import demo, inbox, schema, services, signins, tasks  # noqa: E402
from workflows.bootstrap import build  # noqa: E402
from workflows.drafts import TaskDraft  # noqa: E402
from workflows.models import Case, CaseMember, Consent, Objective, PlanAction, PlanVersion, User  # noqa: E402
from workflows.settings import Settings  # noqa: E402

PG_ADMIN = os.environ.get("CASEWORK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TYPICAL = 40  # open cases of a case manager with a usual load
STEPS = ["verify_request", "obtain_consent", "clarification_interview", "concertation", "evaluation",
         "acknowledge_youth_message"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def seed(casework, total: int) -> dict:
    """Real demo cases, then clones of their rows up to `total` open cases."""
    with casework.db.transaction() as session:
        deploy(session, Bundle.from_directory(ROOT / "bpmn"), codec=casework.runtime.codec,
               now=casework.clock.now(), author="bench", services=set(services.HANDLERS))
        demo.ensure_demo_users(session, casework.clock.now())
        real = demo.seed_cases(session, casework.runtime)
        refs = {c.youth_pseudonym: c.reference for c in real}
    with casework.db.transaction() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        open_real = session.scalar(select(sa.func.count()).select_from(Case).where(Case.status == "open"))
        template = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == refs["Jeune H."]))
        titles = dict(session.execute(select(HumanTask.spec_name, HumanTask.title)).all())
        now = casework.clock.now()
        rng = random.Random(7)
        clones = max(0, total - open_real)
        cases, instances, tasks, members, task_drafts = [], [], [], [], []
        consents, plans, objectives, actions = [], [], [], []
        first_id = (session.scalar(select(sa.func.max(Case.id))) or 0) + 1
        first_instance = (session.scalar(select(sa.func.max(ProcessInstance.id))) or 0) + 1
        next_plan = (session.scalar(select(sa.func.max(PlanVersion.id))) or 0) + 1
        next_objective = (session.scalar(select(sa.func.max(Objective.id))) or 0) + 1
        next_action = (session.scalar(select(sa.func.max(PlanAction.id))) or 0) + 1
        for n in range(clones):
            reference = f"CM-B{n:05d}"
            # The first TYPICAL clones are marc's: a case manager with a usual load, beside anne
            # who holds every other case (the worst case).
            manager = "marc" if n < TYPICAL else "anne"
            case_id, instance_id = first_id + n, first_instance + n
            instances.append({"id": instance_id, "version_id": template.version_id, "business_key": reference,
                              "status": "running", "state": template.state,
                              "serializer_version": template.serializer_version, "revision": 1,
                              "created_at": now, "updated_at": now})
            cases.append({"id": case_id, "reference": reference, "instance_id": instance_id, "status": "open",
                          "requester_kind": "professional", "youth_pseudonym": f"Jeune {n}", "age_band": "12-15",
                          "region": "Brabant wallon", "difficulties": "", "previous_attempts": "",
                          "requester_contact": "", "case_manager_id": users[manager].id, "pass_number": 1,
                          "consent_attempts": 0, "opened_at": now})
            step = STEPS[n % len(STEPS)]
            due = now + dt.timedelta(days=rng.randint(-20, 40), hours=rng.randint(0, 23))
            tasks.append({"id": str(uuid.uuid4()), "instance_id": instance_id, "business_key": reference,
                          "spec_name": step, "title": titles.get(step, step), "lane": "case_manager",
                          "assignee": manager, "supervisor": manager, "form": f"{step}.json", "due_at": due,
                          "created_at": now})
            if n % 170 == 1:  # a form begun and kept as a draft
                task_drafts.append({"task_id": tasks[-1]["id"], "business_key": reference,
                                    "saved_by_id": users[manager].id, "saved_at": now, "data": {"notes": "…"}})
            consents.extend({"case_id": case_id, "person": person, "label": label, "status": "given",
                             "scope": "", "decided_on": now.date(), "collected_by_id": users[manager].id,
                             "recorded_at": now, "youth_mature": True if person == "youth" else None,
                             "maturity_reasoning": "", "step": "obtain_consent"}
                            for person, label in (("youth", "Jeune"), ("legal_representative", "Mère")))
            if n % 3 == 0:  # a plan being followed: an action for each partner, one report open
                carrier = ("sophie", "karim", "lea")[n % 9 // 3]
                plan_id = next_plan + len(plans)
                plans.append({"id": plan_id, "case_id": case_id, "number": 1, "held_on": now.date(),
                              "youth_present": True, "youth_absence_reason": "", "shared_information": "",
                              "created_by_id": users[manager].id, "created_at": now})
                for position in range(2):
                    objectives.append({"id": next_objective + len(objectives), "plan_version_id": plan_id,
                                       "position": position, "key": f"O{position + 1}",
                                       "title": "Reprendre l'école", "indicator": ""})
                mine = None
                for position, partner in enumerate(("sophie", "karim", "lea")):
                    action_id = next_action + len(actions)
                    mine = action_id if partner == carrier else mine
                    actions.append({"id": action_id, "plan_version_id": plan_id,
                                    "objective_id": objectives[-2 + position % 2]["id"], "position": position,
                                    "what": "Rendez-vous", "carrier_id": users[partner].id,
                                    "due_on": (due + dt.timedelta(days=7)).date(), "how": "", "duration": "",
                                    "status": "open"})
                tasks.append({"id": str(uuid.uuid4()), "instance_id": instance_id, "business_key": reference,
                              "spec_name": "report_action", "title": titles.get("report_action", "report"),
                              "lane": "professional", "assignee": carrier, "supervisor": manager,
                              "form": "report_action.json", "item": {"id": mine},
                              "due_at": due + dt.timedelta(days=7), "created_at": now})
                members.append({"case_id": case_id, "user_id": users[carrier].id, "role_in_case": "carrier",
                                "added_at": now})
        for table, rows in ((ProcessInstance.__table__, instances), (Case.__table__, cases),
                            (HumanTask.__table__, tasks), (CaseMember.__table__, members),
                            (Consent.__table__, consents), (PlanVersion.__table__, plans),
                            (Objective.__table__, objectives), (PlanAction.__table__, actions),
                            (TaskDraft.__table__, task_drafts)):
            for start in range(0, len(rows), 2000):
                session.execute(table.insert(), rows[start:start + 2000])
        if casework.db.dialect == "postgresql":  # explicit ids: move the sequences past them
            for table in ("case_file", "process_instance", "plan_version", "objective", "plan_action"):
                session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    if casework.db.dialect == "postgresql":
        # What autovacuum does on a production server after a bulk load: statistics, and the
        # visibility map that lets the inbox's counts read the index alone. (Autovacuum is off
        # on the test server here, so the bench does it once.)
        with casework.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with casework.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return refs


def fresh_requests(casework, count: int, session=None, pseudonym: str = "Jeune R") -> list[tuple[str, str]]:
    """Real cases at the verification step, for completions (each request consumes one)."""
    if session is None:
        with casework.db.transaction() as session:
            return fresh_requests(casework, count, session, pseudonym)
    from workflows.cases import start_case

    anne = session.scalar(select(User).where(User.username == "anne"))
    ids = []
    for _n in range(count):
        case = start_case(session, casework.runtime, actor=anne, requester_kind="family",
                          youth_pseudonym=f"{pseudonym}{len(ids)}", age_band="12-15", region="Brabant wallon")
        session.flush()
        ids.append((case.reference, demo.open_task(session, case, "verify_request").id))
    return ids


def reports_due(casework, count: int) -> list[tuple[str, str]]:
    """Real cases whose plan is being followed (2 objectives, 3 actions: sophie, karim and lea
    carry one each), for sophie's report on her action: a partner's usual completion."""
    ids = []
    with casework.db.transaction() as session:
        for reference, _verify in fresh_requests(casework, count, session=session, pseudonym="Jeune P"):
            from workflows.cases import get_case

            case = get_case(session, reference)
            for step, options in demo._path_to("report_action"):
                demo.advance(session, casework.runtime, case, step, **options)
            mine = session.scalar(select(HumanTask.id).where(HumanTask.business_key == reference,
                                                             HumanTask.spec_name == "report_action",
                                                             HumanTask.assignee == "sophie"))
            ids.append((reference, mine))
    return ids


def login(client, username: str) -> str:
    with client.session_transaction() as s:
        s["csrf"] = "bench"
    response = client.post("/login", data={"csrf_token": "bench", "username": username,
                                           "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, response.status_code
    with client.session_transaction() as s:
        s["csrf"] = "bench"
    return "bench"


class ServerClock:
    """WSGI middleware: the time a request spends in the application, from the call until its body
    is produced (routing, session, queries, templates, commit), without the test client's own work
    (building the request, encoding the form, reading the response)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        iterable = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        self.last = (time.perf_counter() - start) * 1000
        return [body]


SERVER: ServerClock | None = None


def measure(probes: dict[str, object], rounds: int) -> dict[str, list[float]]:
    """Each probe once per round, in turn; a probe returns its own time in ms."""
    for probe in probes.values():
        probe()  # warm up (templates compiled, caches filled)
    figures: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(rounds):
        for name, probe in probes.items():
            figures[name].append(probe())
    return figures


def completing(client, tasks: list[tuple[str, str]], fields: list[tuple[str, str]]):
    """A probe that completes the next of `tasks` (reference, task id) with the form `fields`."""
    queue = iter(tasks)
    form = MultiDict([("action", "complete"), *fields])

    def probe() -> float:
        _reference, task_id = next(queue)
        response = client.post(f"/tasks/{task_id}", data=form)
        elapsed = SERVER.last
        assert response.status_code == 302, response.get_data(as_text=True)[-500:]
        # A browser follows the redirect and the next page shows (and so removes) the "done"
        # message; the test client does not, and the messages would pile up in the session
        # cookie, making every later request pay for signing them.
        with client.session_transaction() as browser_session:
            browser_session.pop("_flashes", None)
        return elapsed

    return probe


def served(client_call):
    """A probe of one request: its server-side time."""
    def probe() -> float:
        response = client_call()
        assert response.status_code in (200, 302), response.status_code
        return SERVER.last

    return probe


def add_floor_route(app) -> None:
    """POST /bench/floor: a signed-in form post that reads the user and commits an empty write
    transaction, and nothing else: what every completion pays before doing any work."""
    from flask import redirect

    from web.access import current_user, roles_required
    from web.transactions import db

    def floor():
        db()
        current_user()
        return redirect("/inbox")

    app.add_url_rule("/bench/floor", "bench_floor", roles_required("case_manager")(floor), methods=["POST"])


def engine_probe(casework, task_ids: list[str], data: dict):
    """SpiffWorkflow alone completing the same step of real cases, in memory, as the runtime does
    it (pooled specs, the spec-free state), with services answered by a no-op."""
    runtime = casework.runtime
    states = []
    with casework.db.transaction(write=False) as session:
        for task_id in task_ids:
            instance = session.get(ProcessInstance, session.get(HumanTask, task_id).instance_id)
            states.append((instance.state, task_id, instance.version.id, instance.version.process_id,
                           instance.version.spec_json))
    engine = ScriptEngine(runtime.environment, lambda task, operation, params: {"queued": False})
    queue = iter(states * 1000)

    def probe() -> float:
        text, task_id, version_id, process_id, spec_json = next(queue)
        start = time.perf_counter()
        state = json.loads(text)
        connections = triggered(state, process_id, runtime.specs.triggers(version_id, spec_json))
        with clock_mod.using(casework.clock), runtime.specs.checkout(version_id, spec_json, connections) as specs:
            workflow = runtime.codec.loads(state, specs, engine)
            task = workflow.get_task_from_id(uuid.UUID(task_id))
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            runtime.codec.dumps(workflow)
        return (time.perf_counter() - start) * 1000

    return probe


def form_fields(data: dict) -> list[tuple[str, str]]:
    fields = []
    for name, value in data.items():
        if isinstance(value, bool):
            fields.append((name, "true" if value else "false"))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            fields.append((f"{name}._present", "1"))
            for i, row in enumerate(value):
                fields.append((f"{name}.{i}._row", "1"))
                fields.extend((f"{name}.{i}.{k}", str(v)) for k, v in row.items() if not isinstance(v, bool))
        elif isinstance(value, list):
            fields.append((name, "\n".join(value)))
        else:
            fields.append((name, str(value)))
    return fields


def explain(casework, now, report_task: str) -> None:
    """The query plans of the inbox's statements (counts, first page, partners' first page), and of
    the read that holds a partner's report (on PostgreSQL its generic plan: what a pooled
    connection runs once the statement is prepared), run and rolled back."""
    with casework.db.transaction(write=False) as session:
        anne = session.scalar(select(User).where(User.username == "anne"))
        prefix = "EXPLAIN QUERY PLAN " if casework.db.dialect == "sqlite" else "EXPLAIN "
        mine, partners = inbox.Query(), inbox.Query(scope="partners")
        page = {"offset": 0, "limit": 25}
        for label, stmt, query in (
                ("counts", inbox._counts_statement(inbox._shape(anne, mine)), mine),
                ("first page", inbox._rows_statement(inbox._shape(anne, mine), None, False, True), mine),
                ("partners page", inbox._rows_statement(inbox._shape(anne, partners), None, False, True), partners)):
            params = {**inbox._params(anne, query, now), **page}
            compiled = stmt.compile(dialect=session.bind.dialect)
            rows = session.connection().exec_driver_sql(prefix + str(compiled), compiled.construct_params(params)
                                                        if casework.db.dialect != "sqlite" else
                                                        tuple(compiled.construct_params(params)[k]
                                                              for k in compiled.positiontup)).all()
            print(f"  plan of {label}:")
            for row in rows:
                print("    " + " | ".join(str(c) for c in row))
    sophie = _user_id(casework, "sophie")
    with casework.db.transaction() as session:
        compiled = tasks._held_rows(casework.db.dialect, True).compile(dialect=session.bind.dialect)
        params = compiled.construct_params({"key": report_task, "uid": sophie,
                                            "sign_in": signins.digest("a sign-in key")})
        connection = session.connection()
        if casework.db.dialect == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                              tuple(params[k] for k in compiled.positiontup)).all()
        else:
            from psycopg import sql as psycopg_sql

            raw = connection.connection.driver_connection
            names = list(params)
            text = str(compiled)
            for i, name in enumerate(names, 1):
                text = text.replace(f"%({name})s", f"${i}")
            raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            raw.execute(f"PREPARE bench_hold AS {text}")
            values = psycopg_sql.SQL(", ").join(psycopg_sql.Literal(params[n]) for n in names)
            rows = raw.execute(psycopg_sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) EXECUTE bench_hold({})").format(values)
                               ).fetchall()
            raw.execute("DEALLOCATE bench_hold")
        session.rollback()
    print("  plan of the read that holds a report:")
    for row in rows:
        print("    " + " | ".join(str(c) for c in row))


def _user_id(casework, username: str) -> int:
    with casework.db.transaction(write=False) as session:
        return session.scalar(select(User.id).where(User.username == username))


def run(kind: str, cases: int, requests: int, show_plans: bool) -> dict:
    pg_name = None
    if kind == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='cw-bench-')}/bench.db"
    else:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        pg_name = f"cw_bench_{os.getpid()}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{pg_name}"')
        url = sa.engine.make_url(PG_ADMIN).set(database=pg_name).render_as_string(hide_password=False)
    try:
        schema.upgrade(url)
        clock = ManualClock()
        casework = build(Settings(database_url=url), clock=clock)
        started = time.perf_counter()
        refs = seed(casework, cases)
        completions = fresh_requests(casework, requests + 21)
        reports = reports_due(casework, requests + 21)
        seeded_in = time.perf_counter() - started
        app = create_app({"CASEWORK": casework, "SECRET_KEY": "bench"})
        add_floor_route(app)
        global SERVER
        SERVER = app.wsgi_app = ServerClock(app.wsgi_app)
        client = app.test_client()
        token = login(client, "anne")
        with casework.db.transaction(write=False) as session:
            open_cases = session.scalar(select(sa.func.count()).select_from(Case).where(Case.status == "open"))
            open_tasks = session.scalar(select(sa.func.count()).select_from(HumanTask)
                                        .where(HumanTask.assignee == "anne"))
        print(f"{kind}: {open_cases} open cases, {open_tasks} open tasks in anne's inbox (seeded in {seeded_in:.1f} s)")
        if show_plans:
            explain(casework, clock.now(), reports[-1][1])

        with casework.db.transaction(write=False) as session:
            from workflows.cases import get_case

            sample = demo.sample(session, casework.runtime, get_case(session, completions[0][0]), "verify_request")
        sophie, marc = app.test_client(), app.test_client()
        sophie_token = login(sophie, "sophie")
        login(marc, "marc")
        complete_one = completing(client, completions, [("csrf_token", token), *form_fields(sample)])
        report_one = completing(sophie, reports, [("csrf_token", sophie_token),
                                                  *form_fields(demo.SAMPLES["report_action"]({}))])
        # The data the process receives from this form (what the handler returns), for the engine.
        step_data = {**{k: v for k, v in sample.items() if not isinstance(v, list)},
                     "consent": "given", "consent_attempts": 0, "youth_adult": sample["youth_age"] >= 18}
        probes = {
            "inbox (anne, first page)": served(lambda: client.get("/inbox")),
            "inbox (anne, overdue, page 3)": served(lambda: client.get("/inbox?due=overdue&page=3")),
            "inbox (anne, partners' actions)": served(lambda: client.get("/inbox?scope=partners")),
            "inbox (anne, drafts)": served(lambda: client.get("/inbox?due=draft")),
            "inbox (sophie, professional)": served(lambda: sophie.get("/inbox")),
            f"inbox (marc, {TYPICAL} cases)": served(lambda: marc.get("/inbox")),
            "case page (plan, complaint)": served(lambda: client.get(f"/cases/{refs['Jeune H.']}")),
            "task completion (verify_request)": complete_one,
            "task completion (report, partner)": report_one,
            "baseline: floor (signed-in post)": served(lambda: client.post("/bench/floor",
                                                                          data={"csrf_token": token})),
            "baseline: engine (same step)": engine_probe(casework, [t for _r, t in completions[-20:]], step_data),
        }
        figures = measure(probes, requests)
        casework.close()
        return figures
    finally:
        if pg_name:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--explain", action="store_true", help="print the plans of the inbox's queries and of the read that holds a report")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: run(kind, args.cases, args.requests, args.explain) for kind in kinds}
    print()
    width = 36
    print(f"{'server side, ms':<{width}}" + "".join(f"{kind + ' p50':>16}{kind + ' p95':>16}{'x floor':>9}"
                                                  for kind in kinds))
    for name in next(iter(results.values())):
        line = f"{name:<{width}}"
        for kind in kinds:
            floor = statistics.median(results[kind]["baseline: floor (signed-in post)"])
            p50 = statistics.median(results[kind][name])
            line += f"{p50:>16.2f}{percentile(results[kind][name], 0.95):>16.2f}{p50 / floor:>9.1f}"
        print(line)
    for kind in kinds:
        figures = results[kind]
        completion = statistics.median(figures["task completion (verify_request)"])
        floor = statistics.median(figures["baseline: floor (signed-in post)"])
        engine = statistics.median(figures["baseline: engine (same step)"])
        print(f"{kind}: completion {completion:.2f} ms = floor {floor:.2f} + engine {engine:.2f} "
              f"+ the rest {completion - floor - engine:.2f} (records, workflow save, round trips)")
    print("targets: inbox p95 < 20 ms; task completion median < 5 ms")
    for kind in kinds:
        figures = results[kind]
        inbox = max(percentile(values, 0.95) for name, values in figures.items() if name.startswith("inbox"))
        verdicts = [f"inbox p95 at most {inbox:.2f} ms ({'met' if inbox < 20 else 'NOT met'})"]
        for name, values in figures.items():
            if name.startswith("task completion"):
                p50 = statistics.median(values)
                verdicts.append(f"{name[len('task completion '):].strip('()')} p50 {p50:.2f} ms ({'met' if p50 < 5 else 'NOT met'})")
        print(f"  {kind}: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
