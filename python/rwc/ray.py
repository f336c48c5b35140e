"""Scoring with Ray, for users who outgrow one machine.

- `score_tasks(program, inputs, group=..., group_size=...)` cuts a batch
  into Ray tasks on group boundaries (group terms need whole groups) and
  returns the rewards in order: exactly those of one `evaluate` call.
- `MapBatches` is a Ray Data `map_batches` callable for specs without group
  terms (any split of the batch gives the same rewards):

      ds.map_batches(rwc.ray.MapBatches, fn_constructor_args=(program.to_bytes(),),
                     batch_format="numpy", concurrency=4)

A program pickles as its artifact bytes, so it travels to workers as an
argument; workers evaluate with the GIL released.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np
import ray

from . import InputError, Program, load

__all__ = ["MapBatches", "score_tasks"]


@ray.remote
def _score_chunk(program: Program, inputs: Mapping[str, Any], group: Any) -> np.ndarray:
    return program.evaluate(inputs, group=group)["reward"]


def score_tasks(
    program: Program, inputs: Mapping[str, np.ndarray], *, group: Optional[np.ndarray] = None, group_size: int = 1, tasks: int = 4
) -> np.ndarray:
    """Rewards of `inputs` (numpy arrays, one row per completion) scored in
    `tasks` Ray tasks. With group terms, `group` gives each row's group and
    the rows of a group must be consecutive, `group_size` per group."""
    n = len(next(iter(inputs.values()))) if inputs else 0
    if program._uses_groups and group is None:
        raise InputError("the spec has group terms: pass group= and group_size=")
    per_task = -(-n // max(tasks, 1))
    per_task = max(-(-per_task // group_size) * group_size, 1)
    program_ref = ray.put(program)
    futures = []
    for start in range(0, n, per_task):
        end = min(start + per_task, n)
        chunk = {k: v[start:end] for k, v in inputs.items()}
        futures.append(_score_chunk.remote(program_ref, chunk, None if group is None else group[start:end]))
    return np.concatenate(ray.get(futures)) if futures else np.zeros(0, np.float32)


class MapBatches:
    """One loaded program per Ray Data worker; adds `reward` and every log as columns."""

    def __init__(self, artifact: bytes):
        self.program = load(artifact)
        if self.program._uses_groups:
            raise InputError("the spec has group terms, which map_batches cannot keep whole; use score_tasks")

    def __call__(self, batch: dict) -> dict:
        out = self.program.evaluate({name: batch[name] for name in self.program.input_names})
        return dict(batch, reward=out["reward"], **out["logs"])
