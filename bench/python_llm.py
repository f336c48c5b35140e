#!/usr/bin/env python3
"""W2 through the Python package, side by side with `rwc bench llm`.

    .venv/bin/python bench/python_llm.py [--rwc target/release/rwc] [--repeat 5]

Reads `bench/data/llm_batch.bin` (write it with `python3 bench/gen_data.py`)
into numpy arrays, scores it with `rwc.compile("examples/grpo_composite.rw")
.evaluate(...)` (groups of 8 consecutive completions), and in the same run
calls `rwc bench llm --threads 1` on the same file. Prints one JSON line:
both throughputs (best of `--repeat`), their ratio, and whether every
reward is bit-identical. Pin it to one core (`taskset -c 0`) to measure the
one-core figure the README quotes.
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

import rwc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def read_batch(path):
    data = open(path, "rb").read()
    magic, version, b, group, k, e = struct.unpack_from("<4sIIIII", data)
    if magic != b"LLMB" or version != 1 or k != 8 or e != 4:
        sys.exit(f"{path}: not a version-1 W2 batch with 8 checklist items and 4 scores")
    at = 24
    correct = np.frombuffer(data, np.uint8, b, at).astype(bool)
    at += b
    length = np.frombuffer(data, np.int32, b, at)
    at += 4 * b
    checklist = np.frombuffer(data, np.uint8, 8 * b, at).astype(bool).reshape(b, 8)
    at += 8 * b
    scores = np.frombuffer(data, np.float32, 4 * b, at).reshape(b, 4)
    at += 16 * b
    ref = np.frombuffer(data, np.float32, b, at)
    inputs = {"correct": correct, "length": length, "checklist": checklist, "scores": scores, "ref": ref}
    return inputs, np.arange(b, dtype=np.int64) // group


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rwc", default=os.path.join(ROOT, "target", "release", "rwc"))
    parser.add_argument("--batch", default=os.path.join(HERE, "data", "llm_batch.bin"))
    parser.add_argument("--spec", default=os.path.join(ROOT, "examples", "grpo_composite.rw"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--isa", default="scalar", help="evaluation path for both sides (scalar, portable, avx2, avx512, auto)")
    args = parser.parse_args()
    if not os.path.exists(args.batch):
        sys.exit(f"no `{args.batch}`: run `python3 bench/gen_data.py` first")

    program = rwc.compile(args.spec)
    inputs, group = read_batch(args.batch)
    best = float("inf")
    for _ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        out = program.evaluate(inputs, group=group, isa=args.isa)
        best = min(best, time.perf_counter() - start)
    rewards = out["reward"]

    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "rewards.f32")
        cli = subprocess.run(
            [args.rwc, "bench", "llm", args.spec, "--batch", args.batch, "--threads", "1", "--isa", args.isa,
             "--repeat", str(args.repeat), "--out", result],
            check=True, capture_output=True, text=True,
        )
        reference = np.fromfile(result, dtype=np.float32)
    cli_rate = json.loads(cli.stdout)["completions_per_s"]
    py_rate = len(rewards) / best
    print(json.dumps({
        "bench": "llm-python",
        "completions": len(rewards),
        "python_completions_per_s": py_rate,
        "cli_completions_per_s": cli_rate,
        "python_time_over_cli_time": cli_rate / py_rate,
        "bit_identical": bool(np.array_equal(rewards.view(np.uint32), reference.view(np.uint32))),
        "reward_sum": float(rewards.astype(np.float64).sum()),
    }))


if __name__ == "__main__":
    main()
