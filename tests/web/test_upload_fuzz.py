"""Fuzz the upload page: mutated copies of the real diagram and other modelers' files; never a 500."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.models import ProcessVersion

from ..integration.test_fuzz_bundles import VENDORS, _mutants
from .conftest import login, post, text


@pytest.mark.sqlite_only
def test_fuzz_upload_page_never_answers_500(client, app):
    login(client, "paul")
    files = [(f"mutant{i}.bpmn", m.encode("utf-8", errors="replace")) for i, m in enumerate(_mutants(40, 9))]
    files += [(path.name, path.read_bytes()) for path in sorted(VENDORS.iterdir())]
    for name, content in files:
        data = {"action": "deploy", "files": [(io.BytesIO(content), name)]}
        response = post(client, "/processes/case_management/upload", data, content_type="multipart/form-data")
        assert response.status_code in (302, 413, 422), (name, response.status_code)
        if response.status_code == 422:
            assert "problème" in text(response) or "problem" in text(response)
    with app.db.transaction(write=False) as session:
        numbers = list(session.scalars(select(ProcessVersion.number).order_by(ProcessVersion.number)))
    for number in numbers[1:]:  # whatever was deployed passed the whole check
        assert client.get(f"/processes/case_management/versions/{number}").status_code == 200
