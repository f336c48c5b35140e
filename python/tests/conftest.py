import os
import shutil

import numpy as np
import pytest

import rwc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def example(name):
    return os.path.join(EXAMPLES, name)


def rwc_binary():
    """The CLI the README's first command builds, if it is there."""
    for path in (os.environ.get("RWC_BIN"), os.path.join(ROOT, "target", "debug", "rwc"), shutil.which("rwc")):
        if path and os.path.exists(path):
            return path
    return None


@pytest.fixture(scope="session")
def grpo():
    return rwc.compile(example("grpo_composite.rw"))


def w2_batch(n, seed=7, group_size=8):
    """A random W2 batch (the layout of bench/gen_data.py, smaller)."""
    rng = np.random.default_rng(seed)
    inputs = {
        "correct": rng.random(n) < 0.5,
        "length": rng.integers(50, 8193, n).astype(np.int32),
        "checklist": rng.random((n, 8)) < 0.6,
        "scores": rng.standard_normal((n, 4)).astype(np.float32),
        "ref": rng.standard_normal(n).astype(np.float32),
    }
    return inputs, np.arange(n) // group_size


def w2_reference(inputs, group):
    """W2's reward as its definition states it (examples/grpo_composite.rw's
    header), in float64 numpy: an independent transcription."""
    c = inputs["correct"].astype(np.float64)
    length = inputs["length"].astype(np.float64)
    w = np.array([3, 2, 2, 1, 1, 1, 1, 1], dtype=np.float64)
    ace = (inputs["checklist"] * w).sum(axis=1) / w.sum()
    laser = np.where(length <= 4096, 0.5, 0.0)
    overlong = np.where(length <= 7168, 0.0, (7168 - length) / 1024)
    s = inputs["scores"].astype(np.float64)
    ens = s.mean(axis=1) - 0.5 * s.var(axis=1)
    par = 1 / (1 + np.exp(-(ens - inputs["ref"])))
    ratio = np.zeros_like(c)
    for g in np.unique(group):
        ratio[group == g] = c[group == g].mean()
    return c + (ratio >= 0.5) * laser + c * (ace + par) + overlong
