"""Scoring a large batch on a Ray cluster, with exactly the rewards of one process.

    .venv/bin/python python/examples/ray_score.py [--completions 262144]

Two ways (both in `rwc.ray`):
- `rwc.ray.score_tasks`: Ray tasks over chunks cut on group boundaries
  (group terms need whole groups), for specs with group terms such as
  examples/grpo_composite.rw;
- `rwc.ray.MapBatches` with Ray Data `map_batches`, for specs without group
  terms (any batch split gives the same rewards).

A `rwc.Program` pickles as its artifact bytes, so it travels to workers as
an argument; each worker evaluates with the GIL released.
"""

import argparse
import os
import sys

import numpy as np
import ray

import rwc
import rwc.ray

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def score_with_ray_data(program, inputs, batch_size=4096):
    """Rewards of a spec without group terms, through Ray Data (in order)."""
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    dataset = ray.data.from_items([{k: v[i] for k, v in inputs.items()} for i in range(len(inputs[program.input_names[0]]))])
    scored = dataset.map_batches(
        rwc.ray.MapBatches, fn_constructor_args=(program.to_bytes(),), batch_format="numpy", batch_size=batch_size, concurrency=2
    )
    return np.concatenate([b["reward"] for b in scored.iter_batches(batch_format="numpy", batch_size=None)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=1 << 18)
    args = parser.parse_args()
    n = args.completions
    rng = np.random.default_rng(0)
    inputs = {
        "correct": rng.random(n) < 0.5,
        "length": rng.integers(50, 8193, n).astype(np.int32),
        "checklist": rng.random((n, 8)) < 0.6,
        "scores": rng.standard_normal((n, 4)).astype(np.float32),
        "ref": rng.standard_normal(n).astype(np.float32),
    }
    group = np.arange(n) // 8
    program = rwc.compile(os.path.join(ROOT, "examples", "grpo_composite.rw"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    distributed = rwc.ray.score_tasks(program, inputs, group=group, group_size=8, tasks=4)
    local = program.evaluate(inputs, group=group)["reward"]
    same = distributed.tobytes() == local.tobytes()
    print(f"{n} completions scored by Ray tasks: {'bit-identical to' if same else 'DIFFERENT from'} one process")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
