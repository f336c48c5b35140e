"""Ray: a large batch scored by Ray tasks and by Ray Data gives exactly the
rewards of one process."""

import os
import sys

import numpy as np
import pytest

import rwc
from conftest import example, w2_batch

ray = pytest.importorskip("ray", reason="ray is not installed (scripts/setup.sh installs it)")
import rwc.ray  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
import ray_score  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def test_ray_tasks_give_the_single_process_rewards(local_ray, grpo):
    inputs, group = w2_batch(1 << 17, seed=11)
    distributed = rwc.ray.score_tasks(grpo, inputs, group=group, group_size=8, tasks=5)
    assert distributed.tobytes() == grpo.evaluate(inputs, group=group)["reward"].tobytes()


def test_ray_data_map_batches_gives_the_single_process_rewards(local_ray):
    program = rwc.compile(example("trl_reward.rw"))
    n = 50_000
    rng = np.random.default_rng(2)
    inputs = {
        "correct": rng.random(n) < 0.5,
        "think_tags": rng.random(n) < 0.5,
        "boxed_answer": rng.random(n) < 0.5,
        "length": rng.integers(0, 4097, n).astype(np.int32),
    }
    distributed = ray_score.score_with_ray_data(program, inputs, batch_size=4096)
    assert distributed.tobytes() == program.evaluate(inputs)["reward"].tobytes()
