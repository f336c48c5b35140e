#!/usr/bin/env python3
"""Spot's LTL translation on the corpus of `rwc bench ltl`, side by side.

Spot is a benchmark peer, not a dependency (`pip install spottl`; the setup
script installs it into `.venv`). The corpus comes from `rwc bench ltl
--emit-spot FILE` (the same formulas in Spot's syntax, props `p0`, `p1`,
...); each goes through `spot.translate(f, 'deterministic')`, the baseline
the issue names, parsing outside the timing as in rwc. With `--ours
SIZES` (from `rwc bench ltl --emit-sizes SIZES`) it also counts the
formulas on which rwc's automaton has no more states than Spot's. Prints
one JSON line.

    rwc bench ltl --count 500 --emit-spot corpus.txt --emit-sizes sizes.txt
    taskset -c 0 python3 bench/spot_ltl.py corpus.txt --ours sizes.txt
"""
import json
import sys
import time

import spot


def main(argv):
    path = argv[1] if len(argv) > 1 else "corpus.txt"
    ours = None
    if "--ours" in argv:
        ours = [int(line) for line in open(argv[argv.index("--ours") + 1]) if line.strip()]
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    parsed = [spot.formula(line.strip()) for line in open(path) if line.strip()]
    best, sizes, slowest, largest = float("inf"), [], 0.0, (0, 0.0)
    for _ in range(repeat):
        start = time.perf_counter()
        run, run_slowest, run_largest = [], 0.0, (0, 0.0)
        for f in parsed:
            one = time.perf_counter()
            aut = spot.translate(f, "deterministic")
            ms = (time.perf_counter() - one) * 1e3
            run_slowest = max(run_slowest, ms)
            run.append(aut.num_states())
            run_largest = max(run_largest, (aut.num_states(), ms))
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, sizes, slowest, largest = elapsed, run, run_slowest, run_largest
    result = {"bench": "ltl", "impl": "spot", "version": spot.version(), "formulas": len(parsed),
              "formulas_per_s": len(parsed) / best, "max_ms": slowest, "total_states": sum(sizes),
              "largest": {"states": largest[0], "ms": largest[1]}}
    if ours is not None:
        if len(ours) != len(sizes):
            sys.exit(f"--ours has {len(ours)} sizes for {len(sizes)} formulas")
        result["rwc_no_larger"] = sum(o <= s for o, s in zip(ours, sizes))
        result["rwc_smaller"] = sum(o < s for o, s in zip(ours, sizes))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
