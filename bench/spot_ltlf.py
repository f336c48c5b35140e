#!/usr/bin/env python3
"""Spot's LTLf-to-DFA translation on the corpus of `rwc bench ltlf`.

Spot is a benchmark peer, not a dependency (`pip install spottl`). The corpus
comes from `rwc bench ltlf --emit-spot FILE`, which writes the same formulas
in Spot's syntax (rw's strong `X` as `X[!]`, `last` as `!X[!] true`). Each
formula goes through `from_ltlf`, `translate` to a deterministic automaton,
and `to_finite`, as the issue's baseline describes. Prints one JSON line:
{"bench": "ltlf", "impl": "spot", "formulas", "formulas_per_s", "max_ms", "total_states"}.

    rwc bench ltlf --count 10000 --emit-spot corpus.txt
    taskset -c 0 python3 bench/spot_ltlf.py corpus.txt
"""
import json
import sys
import time

import spot


def main(path):
    formulas = [line.strip() for line in open(path) if line.strip()]
    parsed = [spot.formula(f) for f in formulas]  # parsing is outside the timing, as in rwc
    start = time.perf_counter()
    slowest = 0.0
    states = 0
    for f in parsed:
        one = time.perf_counter()
        aut = spot.translate(spot.from_ltlf(f), "deterministic", "complete", "sbacc")
        fin = spot.to_finite(aut)
        slowest = max(slowest, (time.perf_counter() - one) * 1e3)
        states += fin.num_states()
    elapsed = time.perf_counter() - start
    print(json.dumps({"bench": "ltlf", "impl": "spot", "version": spot.version(), "formulas": len(parsed),
                      "formulas_per_s": len(parsed) / elapsed, "max_ms": slowest, "total_states": states}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpus.txt")
