import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))


def pytest_configure(config):
    config.addinivalue_line("markers", "linkscope_tool(what, available, required): the test needs a tool; "
                                       "see reference.needs_tool (a skip locally, a failure in CI)")


def pytest_runtest_setup(item):
    import reference

    for m in item.iter_markers("linkscope_tool"):
        if not m.kwargs["available"]:
            reference.tool_missing(m.kwargs["what"], required=m.kwargs["required"])
