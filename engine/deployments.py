"""Deploy a bundle as an immutable, numbered process version keyed by its content hash."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .bundles import Bundle
from .errors import ConflictError, NotFoundError, ValidationError
from .models import ProcessInstance, ProcessVersion
from .serializer import WorkflowCodec
from .validation import ParsedBundle, validate_bundle


def deploy(session: Session, bundle: Bundle, *, codec: WorkflowCodec, now: dt.datetime, author: str,
           services: set[str] | None = None, helpers: dict[str, Any] | None = None,
           note: str = "") -> tuple[ProcessVersion, bool]:
    """Validate and store `bundle`; return (version, created).

    Deploying the newest version's content again returns it; an earlier version's content becomes
    a new version, the newest (the way back from a faulty one). Raises ValidationError
    listing every problem (nothing is stored), ConflictError if another deploy won a race.
    """
    parsed, problems = validate_bundle(bundle, services=services, helpers=helpers)
    if problems or parsed is None:
        raise ValidationError(problems)
    return store_version(session, bundle, parsed, codec=codec, now=now, author=author, note=note)


def store_version(session: Session, bundle: Bundle, parsed: ParsedBundle, *, codec: WorkflowCodec,
                  now: dt.datetime, author: str, note: str = "") -> tuple[ProcessVersion, bool]:
    content_hash = bundle.content_hash()
    latest = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == parsed.process_id)
                            .order_by(ProcessVersion.number.desc()).limit(1))
    if latest is not None and latest.content_hash == content_hash:
        return latest, False
    # The content of an earlier version is deployed again as the newest: the way back from a
    # faulty version (new cases start on it, running cases can move to it).
    number = (latest.number if latest is not None else 0) + 1
    version = ProcessVersion(
        process_id=parsed.process_id, name=parsed.name, number=number, content_hash=content_hash,
        files=dict(bundle.files), spec_json=codec.dumps_specs(parsed.spec, parsed.subprocess_specs),
        lanes=parsed.lanes, forms=parsed.forms, elements=parsed.elements, created_at=now,
        created_by=author, note=note,
    )
    try:
        with session.begin_nested():
            session.add(version)
    except IntegrityError:
        raise ConflictError(f"version {number} of {parsed.process_id} was deployed meanwhile; try again") from None
    audit.record(session, at=now, actor=author, kind="version_deployed",
                 detail={"process_id": parsed.process_id, "number": number, "content_hash": content_hash})
    return version, True


def latest_version(session: Session, process_id: str) -> ProcessVersion:
    """The newest version of a process. Raises NotFoundError if none is deployed."""
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                             .order_by(ProcessVersion.number.desc()).limit(1))
    if version is None:
        raise NotFoundError(f"process '{process_id}' is not deployed; run `casework init` or `casework deploy`")
    return version


def get_version(session: Session, process_id: str, number: int) -> ProcessVersion:
    version = session.scalar(select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.number == number))
    if version is None:
        raise NotFoundError(f"process '{process_id}' has no version {number}")
    return version


def list_versions(session: Session, process_id: str | None = None) -> list[tuple[ProcessVersion, int]]:
    """Every version, newest first, with how many instances still run on it."""
    running = (select(ProcessInstance.version_id, func.count().label("n"))
               .where(ProcessInstance.status != "completed").group_by(ProcessInstance.version_id).subquery())
    query = (select(ProcessVersion, func.coalesce(running.c.n, 0))
             .outerjoin(running, running.c.version_id == ProcessVersion.id)
             .order_by(ProcessVersion.process_id, ProcessVersion.number.desc()))
    if process_id:
        query = query.where(ProcessVersion.process_id == process_id)
    return [(v, n) for v, n in session.execute(query)]
