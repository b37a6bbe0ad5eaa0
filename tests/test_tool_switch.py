"""The CI switch: a test whose tool is missing skips locally and fails under LINKSCOPE_REQUIRE_TOOLS=1
(.ci/run sets it), whichever way it asks for the tool (a mark, a call, an import). Run as a separate
pytest over a scratch test file that uses tests/conftest.py's hooks."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import reference

TESTS = Path(__file__).resolve().parent

SCRATCH = '''
import pytest
import reference

pytestmark = reference.needs_tool(False, "a module tool")

def test_module_mark():
    pass
'''
SCRATCH_CALLS = '''
import reference

@reference.needs_tool(False, "a test tool")
def test_mark():
    pass

def test_call():
    reference.tool_missing("a called tool")

def test_import():
    reference.import_tool("linkscope_no_such_module_xyz")

def test_not_required_on_this_platform():
    reference.tool_missing("a tool this platform never installs", required=False)

@reference.needs_tool(True, "present")
def test_present_tool_runs():
    pass

def test_other_skips_stay_skips():
    import pytest
    pytest.skip("not root")
'''


def _run(tmp_path: Path, required: bool) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nexec(open({str(TESTS / 'conftest.py')!r}).read())\n")
    (tmp_path / "test_a.py").write_text(SCRATCH)
    (tmp_path / "test_b.py").write_text(SCRATCH_CALLS)
    env = {k: v for k, v in os.environ.items() if k != reference.REQUIRE_TOOLS}
    if required:
        env[reference.REQUIRE_TOOLS] = "1"
    p = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    return p


def test_locally_a_missing_tool_skips(tmp_path):
    p = _run(tmp_path, required=False)
    assert p.returncode == 0, p.stdout
    assert p.stdout.rstrip().splitlines()[-1].strip("= ").startswith("1 passed, 6 skipped"), p.stdout


def test_in_ci_a_missing_tool_fails(tmp_path):
    p = _run(tmp_path, required=True)
    assert p.returncode == 1, p.stdout
    # the marks fail at setup (errors), the calls fail in the test; the two that are not
    # tool-missing skips (not installed on this platform, not root) stay skips.
    assert p.stdout.rstrip().splitlines()[-1].strip("= ").startswith("2 failed, 1 passed, 2 skipped, 2 errors"), p.stdout
    assert p.stdout.count("LINKSCOPE_REQUIRE_TOOLS=1 says scripts/setup.sh installed every tool") >= 4, p.stdout
    for what in ("a module tool", "a test tool", "a called tool", "linkscope_no_such_module_xyz"):
        assert what in p.stdout, what


def test_ci_run_sets_the_switch():
    text = (TESTS.parent / ".ci" / "run").read_text()
    assert re.search(rf"^export {reference.REQUIRE_TOOLS}=1\b", text, re.M), text
