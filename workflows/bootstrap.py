"""The composition root: build the database, clock and runtime from settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.clock import Clock, OffsetClock, SystemClock
from engine.db import Database
from engine.runtime import Runtime

from . import cases, services
from .settings import Settings

PROCESS_ID = "case_management"


@dataclass
class Casework:
    """Everything a request, a command or a scheduler tick needs."""

    settings: Settings
    db: Database
    clock: Clock
    runtime: Runtime

    def close(self) -> None:
        self.db.dispose()


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Casework:
    settings = settings or Settings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        path = settings.database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if clock is None:
        clock = OffsetClock(settings.clock_offset) if settings.clock_offset else SystemClock()
    runtime = Runtime(clock=clock, services=services.HANDLERS, hooks=(cases.sync_case_status,),
                      prefetch=cases.cases_of)
    return Casework(settings=settings, db=Database(settings.database_url), clock=clock, runtime=runtime)
