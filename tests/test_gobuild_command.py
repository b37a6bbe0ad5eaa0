"""goflags.GoBuild, the one place that writes a fix's `go build` command from a binary's recorded
settings and merges a change into it, without a toolchain: the settings are literals in
the form `go version -m` prints them, and the quoting is checked by a real POSIX shell."""
from __future__ import annotations

import shutil
import subprocess

import pytest

import reference

from linkscope.go import flags as goflags
from linkscope.go.flags import GoBuild

BASE = [("-buildmode", "exe"), ("-compiler", "gc"), ("DefaultGODEBUG", "tlsmlkem=0"), ("CGO_ENABLED", "1"),
        ("CGO_CFLAGS", ""), ("CGO_CPPFLAGS", ""), ("CGO_CXXFLAGS", ""), ("CGO_LDFLAGS", ""), ("GOARCH", "amd64"),
        ("GOOS", "linux"), ("GOAMD64", "v1")]


def build(*extra) -> GoBuild:
    return GoBuild.from_settings(BASE + list(extra))


def shell_words(cmd: str) -> list[str]:
    """The words /bin/sh makes of ``cmd`` (its environment assignments included, `go build` as one)."""
    script = "set -- " + cmd.replace("go build", "GO_BUILD", 1) + '; for a in "$@"; do printf "%s\\0" "$a"; done'
    r = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    return r.stdout.split("\0")[:-1]


def test_the_defaults_are_left_out_and_the_target_is_spelled_out():
    assert build().command() == "CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build"
    got = GoBuild.from_settings([("-buildmode", "pie"), ("-compiler", "gc"), ("-trimpath", "true"),
                                 ("-tags", "netgo"), ("-gcflags", "all=-N -l"), ("-race", "true"),
                                 ("CGO_ENABLED", "0"), ("GOARCH", "arm"), ("GOOS", "linux"), ("GOARM", "7"),
                                 ("GOEXPERIMENT", "boringcrypto")])
    assert got.command() == ("CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 GOEXPERIMENT=boringcrypto go build "
                             "-buildmode=pie '-gcflags=all=-N -l' -race -tags netgo -trimpath")
    assert got.unrecorded == ("-ldflags", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS")


@pytest.mark.parametrize("level,shown", [("v1", False), ("v3", True)])
def test_the_arch_level_is_kept_when_not_the_default(level, shown):
    got = GoBuild.from_settings([(k, level if k == "GOAMD64" else v) for k, v in BASE]).command()
    assert ("GOAMD64=v3" in got) is shown


@pytest.mark.parametrize("ldflags,add,remove,want", [
    ("", ["-s", "-w"], (), "-s -w"),
    ("-s -w", ["-s", "-w"], (), "-s -w"),                                   # not repeated
    ("-w=0 -X main.v=1", ["-s", "-w"], (), "-w -X main.v=1 -s"),            # -w=0 kept DWARF: now -w
    ("-X main.a=1", ["-X", "main.b=2"], (), "-X main.a=1 -X main.b=2"),    # -X accumulates
    ("-extldflags -s", ["-s"], (), "-extldflags -s -s"),                    # the -s of -extldflags is its value
    ("-linkmode external -extldflags -static -X main.v=1", [], ("linkmode", "extldflags"), "-X main.v=1"),
    ("-linkmode=external --extldflags=-static", [], ("linkmode", "extldflags"), ""),
    ("-linkmode internal", ["-linkmode", "external"], (), "-linkmode external"),
    ("-X 'main.v=a b'", ["-s"], (), "-X 'main.v=a b' -s"),
])
def test_ldflags_merge(ldflags, add, remove, want):
    got = build(("-ldflags", ldflags)).with_ldflags(add=add, remove=remove)
    assert got.ldflags == want


def test_tags_merge_keeps_order_and_adds_once():
    assert build(("-tags", "foo,netgo")).with_tags("netgo", "osusergo", "osusergo").tags == ["foo", "netgo", "osusergo"]


def test_cflags_keep_cmd_go_default():
    assert build().with_cflags("-fstack-protector-strong").getenv("CGO_CFLAGS") == "-O2 -g -fstack-protector-strong"
    got = build(("CGO_CFLAGS", "-O1 -I/opt/x")).with_cflags("-O1")
    assert got.getenv("CGO_CFLAGS") == "-O1 -I/opt/x"


@reference.needs_tool(shutil.which("sh"), "a POSIX shell")
@pytest.mark.parametrize("ldflags", [
    "-X 'main.v=a b' -s",
    "-X \"main.q=it's\" -extldflags '-L/opt/my lib -static'",
    "-X main.x=$HOME -X 'main.y=`id`'",
])
def test_the_command_means_to_the_shell_what_it_says(ldflags):
    """The shell's words are the flags, and cmd/go's split of -ldflags gives back the user's words."""
    gb = build(("-ldflags", ldflags), ("-tags", "netgo")).with_ldflags(add=["-w"])
    assert shell_words(gb.command()) == ["CGO_ENABLED=1", "GOOS=linux", "GOARCH=amd64", "GO_BUILD", *gb.args()]
    ld = next(a for a in gb.args() if a.startswith("-ldflags="))[len("-ldflags="):]
    assert goflags.split(ld) == goflags.split(ldflags) + ["-w"]
    env, args = goflags.parse_command(gb.command())
    assert args == gb.args() and env == {"CGO_ENABLED": "1", "GOOS": "linux", "GOARCH": "amd64"}
