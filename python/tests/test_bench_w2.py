"""W2 through Python gives the rewards of `rwc bench llm`, bit for bit, on
the benchmark's own 65,536-completion batch (bench/gen_data.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, example, rwc_binary

sys.path.insert(0, os.path.join(ROOT, "bench"))
import python_llm  # noqa: E402


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("w2")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_data.py"), str(out)], check=True, capture_output=True)
    return out / "llm_batch.bin"


def test_w2_through_python_equals_rwc_bench_llm(batch_file, grpo, tmp_path):
    inputs, group = python_llm.read_batch(str(batch_file))
    rewards = grpo.evaluate(inputs, group=group)["reward"]
    assert len(rewards) == 65536
    # The reference sum of bench/README.md.
    assert abs(float(rewards.astype(np.float64).sum()) - 71350.4669) < 0.02
    binary = rwc_binary()
    if binary is None:
        pytest.skip("no rwc binary (build it with `cargo build -p rwc`)")
    out = tmp_path / "rewards.f32"
    subprocess.run([binary, "bench", "llm", example("grpo_composite.rw"), "--batch", str(batch_file),
                    "--repeat", "1", "--out", str(out)], check=True, capture_output=True)
    assert rewards.tobytes() == np.fromfile(out, dtype=np.float32).tobytes()
