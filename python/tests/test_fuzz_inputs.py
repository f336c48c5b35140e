"""Random, mostly wrong, inputs: every call either scores the batch or
raises ValueError/TypeError (InputError is a ValueError). Never a crash,
never an output of the wrong shape."""

import zlib

import numpy as np
import pytest

import rwc
from conftest import example

SPECS = ["grpo_composite.rw", "longform_acerl.rw", "office.rw", "constrained_rlhf.rw", "trl_reward.rw"]


def valid(kind, width, n, rng, range_=None):
    shape = (n, width) if width else (n,)
    lo, hi = (range_[0], range_[1]) if range_ else (0, 100)
    if kind == "bool":
        return rng.random(shape) < 0.5
    if kind == "int":
        return rng.integers(int(lo), int(hi), shape, endpoint=False).astype(np.int32)
    if kind == "f32":
        return (lo + (hi - lo) * rng.random(shape)).astype(np.float32)
    return [[(float(rng.random()), float(rng.random())) for _ in range(rng.integers(0, 3))] for _ in range(n)]


def mangled(kind, width, n, rng, range_=None):
    choices = [
        lambda: valid(kind, width, n, rng),
        lambda: valid(kind, width, n + 1, rng),
        lambda: valid(kind, width + 1 if width else 3, n, rng),
        lambda: np.array(["a"] * n),
        lambda: np.full(n, np.nan),
        lambda: np.full(n, np.inf, dtype=np.float32),
        lambda: np.full(n, -0.0),
        lambda: np.full(n, 2**40),
        lambda: np.full(n, -(2**31)),
        lambda: np.full(n, 2, dtype=np.int8),
        lambda: np.ones(n, dtype=np.complex64),
        lambda: np.empty(n, dtype=object),
        lambda: None,
        lambda: 3.5,
        lambda: [[1, 2], [3]],
        lambda: (np.zeros(n + 1, np.uint32), np.zeros(0), np.zeros(0)),
        lambda: (np.array([0, 5] + [5] * (n - 1)), np.ones(5), np.full(5, 2.0)),
        lambda: np.full((n,) + ((width,) if width else ()), 1e30),
        lambda: np.arange(2 * n, dtype=np.float32)[::2],
    ]
    return choices[rng.integers(len(choices))]()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", SPECS)
def test_random_inputs_score_or_raise(name, seed):
    program = rwc.compile(example(name), warn=False)
    specs = [rwc._Input(*i) for i in program._native.inputs()]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    outcomes = {"scored": 0, "refused": 0}
    for trial in range(400):
        n = int(rng.integers(0, 6))
        clean = rng.random() < 0.5  # half the calls are well-formed
        p_bad = 0.0 if clean else 0.3
        inputs = {s.name: (mangled if rng.random() < p_bad else valid)(s.kind, s.width, n, rng, s.range) for s in specs}
        if not clean and rng.random() < 0.1 and inputs:
            inputs.pop(next(iter(inputs)))
        if not clean and rng.random() < 0.1:
            inputs["extra"] = np.zeros(n)
        bad = 0 if clean else 4
        group = [np.arange(n) // 2, ["p"] * n, None, np.zeros(n + 1, int), "x"][min(int(rng.integers(2 + bad)), 4)]
        truncated = [None, np.ones(n, bool), [1] * n, np.zeros(n + 2, bool), 7.5][min(int(rng.integers(3 + bad)), 4)]
        try:
            out = program.evaluate(inputs, group=group, truncated=truncated, check_nan=bool(rng.random() < 0.5))
        except (ValueError, TypeError):
            outcomes["refused"] += 1
            continue
        outcomes["scored"] += 1
        assert out["reward"].shape == out["done"].shape == (n,)
        assert all(v.shape == (n,) for v in out["logs"].values())
    assert outcomes["scored"] > 100 and outcomes["refused"] > 50, outcomes


def test_random_steps_of_a_batch_score_or_raise():
    program = rwc.compile(example("office.rw"), warn=False)
    batch = program.batch(3)
    rng = np.random.default_rng(5)
    for _ in range(300):
        inputs = {p: mangled("bool", 0, 3, rng) if rng.random() < 0.2 else rng.random(3) < 0.3 for p in program.input_names}
        try:
            out = batch.step(inputs, active=rng.random(3) < 0.8)
        except (ValueError, TypeError):
            continue
        assert out["reward"].shape == (3,)
    # The batch still works after all that.
    assert batch.step({p: np.zeros(3, bool) for p in program.input_names})["reward"].shape == (3,)
