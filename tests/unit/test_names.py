"""What a process's conditions read and what it sets (engine/names.py): a typo in a condition the
dry run does not evaluate is found before a deploy."""

from __future__ import annotations

from engine import names
from engine.bundles import Bundle
from engine.problem_texts import localized
from tests.conftest import BPMN_DIR
from workflows import processes

MAIN = "case_management.bpmn"


def _checked(old: str, new: str):
    bundle = Bundle.from_directory(BPMN_DIR)
    text = bundle.files[MAIN].replace(old, new)
    assert text != bundle.files[MAIN]
    return processes.check(bundle.with_files({MAIN: text}))


def test_names_the_process_as_deployed_reads_nothing_it_does_not_set():
    assert processes.check(Bundle.from_directory(BPMN_DIR)).problems == []


def test_names_a_typo_in_a_condition_the_dry_run_never_evaluates_is_a_problem_with_a_suggestion():
    # The dry run gets consent at once: the retry gateway is never reached.
    result = _checked("consent_attempts &lt; 3", "consent_attemps &lt; 3")
    (problem,) = result.problems
    assert problem.element_id == "consent_retry_gateway"
    said = localized(problem, "fr")
    assert "la condition du flux vers « Tenter d'obtenir le consentement »" in said
    assert "lit « consent_attemps », que rien dans le processus ne définit" in said
    assert said.endswith("vouliez-vous dire « consent_attempts » ?")
    # nor one the walk evaluates only in part ("not objectives_met" is false on its path)
    (problem,) = _checked("pass_number &lt; 10", "pass_nmber &lt; 10").problems
    assert problem.element_id == "exit_gateway" and "« pass_nmber »" in localized(problem, "fr")


def test_names_a_condition_s_own_bindings_and_builtins_are_not_read_from_the_case():
    parsed = processes.check(Bundle.from_directory(BPMN_DIR)).parsed
    reads = [names.Read("g", None, "t", e, n) for e in ["any(a > 1 for a in items)", "len(items) > max(1, 2)",
                                                         "(lambda x: x > 1)(items)"]
             for n in names._reads(e)]
    assert {r.name for r in reads} == {"items"}  # "a" and "x" are its own, builtins no case's data
    assert names.unknown(reads, {"items"}) == []
    assert {"eligible", "notified"} <= names.set_by_process(parsed)  # a decision's output, a service's result
    assert names._assigned("total = 1\nfor step in steps:\n    total += 1") == {"total", "step"}
