"""What a task-completion handler receives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.models import HumanTask

from .models import Case, User


@dataclass
class TaskContext:
    session: Session
    user: User
    case: Case
    task: HumanTask
    schema: dict[str, Any]
    now: dt.datetime
