"""Whose consent counts (Patients' Rights Act, art. 12)."""

from types import SimpleNamespace

import pytest

from workflows.consent import status


def c(person, state, mature=None):
    return SimpleNamespace(person=person, status=state, youth_mature=mature)


@pytest.mark.parametrize("consents, adult, expected", [
    ([], False, "pending"),
    ([c("youth", "given")], False, "pending"),  # a minor needs a legal representative too
    ([c("youth", "given"), c("legal_representative", "given")], False, "given"),
    ([c("youth", "given"), c("legal_representative", "refused")], False, "refused"),
    ([c("youth", "given", mature=True), c("legal_representative", "refused")], False, "given"),
    ([c("youth", "refused", mature=True), c("legal_representative", "given")], False, "refused"),
    ([c("youth", "given")], True, "given"),
    ([c("youth", "withdrawn")], True, "refused"),
    ([c("youth", "given"), c("legal_representative", "pending")], False, "pending"),
])
def test_consent_status(consents, adult, expected):
    assert status(consents, youth_adult=adult) == expected
