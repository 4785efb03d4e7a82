"""A driver that walks cases through the real bpmn/ files, with or without a restart per step."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.deployments import deploy
from engine.models import HumanTask, ProcessInstance
from workflows import cases, demo, services
from workflows.bootstrap import build
from workflows.models import Case, User
from workflows.settings import Settings

from ..conftest import BPMN_DIR


@dataclass
class Driver:
    """Runs each step in a transaction.

    reload=False: one app and one transaction for the whole scenario.
    reload=True: every step commits, and the next one starts from a brand-new app (engine, spec
    pool, session): a save-and-reload, as if the server restarted between steps.
    """

    url: str
    clock: ManualClock
    reload: bool
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def __post_init__(self):
        self.app = build(Settings(database_url=self.url, bpmn_dir=BPMN_DIR), clock=self.clock)
        with self.app.db.transaction() as session:
            deploy(session, Bundle.from_directory(BPMN_DIR), codec=self.app.runtime.codec, now=self.clock.now(),
                   author="tests", services=set(services.HANDLERS))
            demo.ensure_demo_users(session, self.clock.now())
        if not self.reload:
            self.session = self._stack.enter_context(self.app.db.transaction())

    @contextlib.contextmanager
    def tx(self):
        if not self.reload:
            yield self.session, self.app
            return
        app = build(Settings(database_url=self.url, bpmn_dir=BPMN_DIR), clock=self.clock)
        try:
            with app.db.transaction() as session:
                yield session, app
        finally:
            app.close()

    def close(self):
        self._stack.close()
        self.app.close()

    # -- actions --------------------------------------------------------------------------------------
    def start(self, requester: str = "tom", kind: str = "professional") -> str:
        with self.tx() as (session, app):
            actor = session.scalar(select(User).where(User.username == requester))
            manager = session.scalar(select(User).where(User.username == "anne"))
            case = cases.start_case(session, app.runtime, actor=actor, requester_kind=kind, youth_pseudonym="Jeune T.",
                                    age_band="12-15", region="Brabant wallon", case_manager=manager)
            return case.reference

    def do(self, reference: str, step: str, **options) -> None:
        with self.tx() as (session, app):
            demo.advance(session, app.runtime, cases.get_case(session, reference), step, **options)

    def do_all(self, reference: str, step: str, **options) -> int:
        """Complete every open task `step` (e.g. one report per plan action)."""
        done = 0
        while step in self.open_steps(reference):
            self.do(reference, step, **options)
            done += 1
        return done

    def message(self, reference: str, kind: str = "complaint", text: str = "Je ne suis pas écouté.") -> None:
        from workflows import messages

        with self.tx() as (session, app):
            case = cases.get_case(session, reference)
            user = session.get(User, case.case_manager_id)
            messages.record(session, app.runtime, user=user, case=case, kind=kind, text=text)

    def advance_time(self, **delta) -> int:
        """Move the clock and fire every timer now due, as the scheduler would."""
        self.clock.advance(**delta)
        fired = 0
        while True:
            with self.tx() as (session, app):
                due = session.scalars(select(ProcessInstance.id).where(
                    ProcessInstance.status == "running", ProcessInstance.next_timer_due <= self.clock.now())).all()
                for instance_id in due:
                    app.runtime.fire_timers(session, instance_id)
            fired += len(due)
            if not due or fired > 1000:
                return fired

    # -- reading --------------------------------------------------------------------------------------
    def open_steps(self, reference: str) -> list[str]:
        with self.tx() as (session, _):
            return sorted(session.scalars(select(HumanTask.spec_name).where(HumanTask.business_key == reference)))

    def case(self, reference: str) -> Case:
        with self.tx() as (session, _):
            case = cases.get_case(session, reference)
            session.expunge(case)
            return case

    def query(self, reference: str, fn):
        with self.tx() as (session, _):
            return fn(session, cases.get_case(session, reference))


@pytest.fixture(params=[False, True], ids=["one-transaction", "reload-each-step"])
def driver(request, database_url, clock):
    drv = Driver(database_url, clock, reload=request.param)
    yield drv
    drv.close()
