#!/usr/bin/env bash
# Clones the reward_machines repository (Toro Icarte et al.) beside this
# checkout, so that the suite's differential test of `rwc import rm` runs on
# its reward-machine files (compiler/cli/tests/reward_machines.rs). Needs
# network access to github.com; safe to run again (it pulls instead).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$(dirname "$here")/reward_machines"
if [ -d "$target/.git" ]; then
  git -C "$target" pull --ff-only --quiet
else
  git clone --depth 1 --quiet https://github.com/RodrigoToroIcarte/reward_machines "$target"
fi
count=$(find "$target/reward_machines/envs" -path '*reward_machines/*.txt' | wc -l)
echo "fetch: $count reward-machine files in $target (the suite's differential test reads them)"
