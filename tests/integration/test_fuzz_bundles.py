"""Fuzz: hundreds of mutated copies of bpmn/case_management.bpmn and other modelers' files.

Validation and the dry run never crash and every refusal is readable; the upload page never
answers 500 and deploys nothing broken.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from engine.bundles import Bundle
from workflows import processes

from ..conftest import BPMN_DIR

BASE = Bundle.from_directory(BPMN_DIR)
MAIN = "case_management.bpmn"
SOURCE = BASE.files[MAIN]
VENDORS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "vendors"
SNIPPETS = [
    '<camunda:inputOutput xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>', "P7D", "${approved}", "import os",
    "().__class__.__base__.__subclasses__()", "<bpmn:complexGateway id=\"cg\"/>", "&amp;", "\x00", "é", "<!-- -->",
    '<bpmn:linkEventDefinition id="lk"/>', '"R3/P7D"', "<![CDATA[x]]>", "]]>", "<", "\"", "'",
]


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    kind = rng.randrange(9)
    i = rng.randrange(len(lines))
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == 2:
        cut = rng.randrange(len(text))
        return text[:cut]
    elif kind == 3:
        pos = rng.randrange(len(text))
        return text[:pos] + rng.choice(SNIPPETS) + text[pos:]
    elif kind == 4:
        values = re.findall(r'="([^"]*)"', text)
        old, new = rng.choice(values), rng.choice(values)
        return text.replace(f'"{old}"', f'"{new}"', 1)
    elif kind == 5:
        expressions = re.findall(r">([^<>]+)</bpmn:(?:timeDuration|timeCycle|conditionExpression)>", text)
        old = rng.choice(expressions)
        return text.replace(old, rng.choice(SNIPPETS), 1)
    elif kind == 6:
        pos = rng.randrange(len(text))
        return text[:pos] + chr(rng.randrange(32, 0x3000)) + text[pos + 1:]
    elif kind == 7:
        ids = re.findall(r'id="([^"]+)"', text)
        return text.replace(f'"{rng.choice(ids)}"', f'"{rng.choice(ids)}"', 1)
    else:
        elements = re.findall(r"<bpmn:(userTask|serviceTask|exclusiveGateway|boundaryEvent) id=\"([^\"]+)\"", text)
        tag, element_id = rng.choice(elements)
        return re.sub(rf'<bpmn:{tag} id="{element_id}".*?</bpmn:{tag}>', "", text, count=1, flags=re.S)
    return "\n".join(lines)


def _mutants(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = SOURCE
        for _ in range(rng.randint(1, 3)):
            try:
                text = _mutate(rng, text)
            except (IndexError, ValueError):  # nothing of that kind left to mutate
                pos = rng.randrange(len(text) or 1)
                text = text[:pos] + rng.choice(SNIPPETS) + text[pos:]
        out.append(text)
    return out


def _readable(problems) -> None:
    assert problems
    for problem in problems:
        shown = str(problem)
        assert problem.message.strip()
        assert "Traceback" not in shown and "object at 0x" not in shown and "<lxml" not in shown, shown


def _vendor_bundles() -> list[tuple[str, Bundle]]:
    bundles = []
    for path in sorted(VENDORS.iterdir()):
        content = path.read_text(encoding="utf-8")
        if path.suffix == ".dmn":
            bundles.append((path.name, BASE.with_files({"eligibility.dmn": content})))
        else:
            bundles.append((path.name, Bundle({path.name: content})))
            bundles.append((path.name + "+forms", BASE.with_files({MAIN: None, path.name: content})))
    return bundles


def test_fuzz_mutated_process_never_crashes_validation_or_the_dry_run():
    valid = 0
    for mutant in _mutants(300, seed=5):
        result = processes.check(BASE.with_files({MAIN: mutant}))
        if result.ok:
            valid += 1
        else:
            _readable(result.problems)
    assert valid < 300  # most mutations break something, and each says what


@pytest.mark.parametrize("name,bundle", _vendor_bundles(), ids=lambda v: v if isinstance(v, str) else "")
def test_fuzz_other_modelers_files_are_refused_with_reasons(name, bundle):
    result = processes.check(bundle)
    assert not result.ok
    _readable(result.problems)


def test_fuzz_camunda_file_gets_camunda_specific_advice():
    result = processes.check(Bundle({"camunda7.bpmn": (VENDORS / "camunda7.bpmn").read_text()}))
    messages = " | ".join(p.message for p in result.problems)
    for expected in ("Camunda (JUEL)", 'write the value in quotes, like "P7D"', "groovy", "Camunda 7's"):
        assert expected in messages, messages
