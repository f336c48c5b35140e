#!/usr/bin/env bash
# Installs what rwc needs on a fresh Debian/Ubuntu machine, skipping whatever
# is already present, so it is safe to run again:
#   - system libraries for the Z3 SMT solver bindings (libz3-dev, libclang-dev
#     for bindgen, pkg-config),
#   - Python 3 and numpy for the benchmark data generator (bench/gen_data.py),
#     which the test suite runs,
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
say "done"
