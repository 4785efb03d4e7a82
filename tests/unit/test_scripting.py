"""The restricted environment: what process owners' scripts may and may not do."""

import pytest

from engine.errors import ScriptError
from engine.scripting import RestrictedEnvironment, compile_expression, compile_script, free_names

ESCAPES = [
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__bases__[0].__subclasses__()]",
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "getattr((), '__class__')",
    "eval('1')",
    "exec('x = 1')",
    "globals()",
    "vars()",
    "type(1)",
    "(lambda: 0).__code__",
    "'{0.__class__}'.format(1)",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_scripting_refuses_escapes_in_expressions(source):
    env = RestrictedEnvironment()
    with pytest.raises((ScriptError, NameError, AttributeError, TypeError, NotImplementedError)):
        env.evaluate(source, {})


@pytest.mark.parametrize("source", ["import os", "from os import path", "import subprocess as s\ns.run('id')",
                                    "global x\nx = 1", "class A: pass"])
def test_scripting_refuses_imports_and_statements_at_compile_time(source):
    with pytest.raises(ScriptError):
        compile_script(source)


def test_scripting_runs_ordinary_scripts_and_keeps_data_only():
    env = RestrictedEnvironment()
    data = {"items": [1, 2, 3], "plan": {"a": 1}}
    env.execute("total = 0\nfor i in items:\n    total += i\nplan2 = dict(plan)\nplan2['b'] = 2\n"
                "def helper(x):\n    return x\n", data)
    assert data["total"] == 6 and data["plan2"] == {"a": 1, "b": 2}
    assert "helper" not in data  # functions never land in task data


def test_scripting_never_mutates_nested_data_in_place():
    # SpiffWorkflow 3.2 shallow-copies task data: an in-place edit would rewrite earlier tasks' history.
    env = RestrictedEnvironment()
    shared = [1, 2]
    data = {"notes": shared}
    env.execute("notes.append(3)", data)
    assert shared == [1, 2] and data["notes"] == [1, 2, 3]


def test_scripting_helpers_are_available_but_not_overwritable():
    env = RestrictedEnvironment({"double": lambda x: 2 * x})
    assert env.evaluate("double(x)", {"x": 4}) == 8
    with pytest.raises(ScriptError, match="overwrites helper"):
        env.execute("y = 1", {"double": 3})


def test_scripting_compile_errors_name_the_line():
    with pytest.raises(ScriptError, match="line 2"):
        compile_script("x = 1\nx = = 2")
    with pytest.raises(ScriptError):
        compile_expression("")


def test_scripting_free_names_of_timer_expressions():
    assert free_names('"R3/" + action["remind_from"] + "/P7D"') == {"action"}
    assert free_names('"P7D"') == set()
