"""The Gymnasium wrappers on FrozenLake (4x4, not slippery), in all three
autoreset modes, against a single-environment reference."""

import os

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

import rwc
import rwc.gymnasium

SPEC = os.path.join(os.path.dirname(__file__), "specs", "corner.rw")
LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3


def label(obs, info):
    return {"corner": int(obs) == 3, "cell": int(obs)}


def make():
    return gym.make("FrozenLake-v1", is_slippery=False, max_episode_steps=6)


@pytest.fixture(scope="module")
def program():
    return rwc.compile(SPEC)


def test_single_env_replaces_the_reward_and_ends_at_the_corner(program):
    env = rwc.gymnasium.RewardWrapper(make(), program, label)
    env.reset(seed=0)
    rewards, infos = [], []
    for action in [RIGHT, RIGHT, RIGHT]:
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        infos.append(info)
    assert obs == 3 and terminated and not truncated
    assert rewards == pytest.approx([-0.01, -0.01, 0.99])
    assert [i["episode_steps"] for i in infos] == [1, 2, 3]
    assert infos[-1]["env_reward"] == 0.0
    # A fresh episode starts afresh: the machine is back at s0, totals restart.
    env.reset()
    obs, reward, terminated, truncated, info = env.step(DOWN)
    assert (obs, reward, terminated, info["episode_steps"]) == (4, pytest.approx(-0.01), False, 1)


def test_single_env_passes_env_termination_and_truncation_through(program):
    env = rwc.gymnasium.RewardWrapper(make(), program, label)
    env.reset(seed=0)
    _, reward, terminated, truncated, _ = env.step(DOWN)
    _, reward, terminated, truncated, _ = env.step(RIGHT)  # cell 5: a hole
    assert terminated and not truncated and reward == pytest.approx(-0.01)
    env.reset()
    for _ in range(6):
        _, reward, terminated, truncated, info = env.step(LEFT)  # stays at 0
    assert truncated and not terminated and info["episode_steps"] == 6


def reference(actions, mode):
    """One sub-environment as the vector env presents it, built from the
    single-env wrapper and the autoreset rules of each mode."""
    env = rwc.gymnasium.RewardWrapper(make(), SPEC, label)
    env.reset(seed=0)
    rows = []
    pending_reset = False
    for action in actions:
        if pending_reset and mode == AutoresetMode.NEXT_STEP:
            obs, _ = env.reset()
            rows.append((obs, 0.0, False, False, None))
            pending_reset = False
            continue
        if pending_reset and mode == AutoresetMode.DISABLED:
            env.reset()  # the test resets ended envs before stepping them
            pending_reset = False
        obs, reward, terminated, truncated, info = env.step(action)
        final = None
        if terminated or truncated:
            pending_reset = True
            if mode == AutoresetMode.SAME_STEP:
                final = obs
                obs, _ = env.reset()
                pending_reset = False
        rows.append((obs, reward, terminated, truncated, (final, info["episode_steps"])))
    return rows


SCRIPTS = [
    # corner (spec ends), then a hole (env ends), then walk into the time limit
    [RIGHT, RIGHT, RIGHT, DOWN, DOWN, RIGHT, LEFT, LEFT, LEFT, LEFT, LEFT, LEFT, LEFT, RIGHT, RIGHT, RIGHT],
    # the time limit, then the corner, then the goal without the corner
    [LEFT, LEFT, LEFT, LEFT, LEFT, LEFT, RIGHT, RIGHT, RIGHT, RIGHT, DOWN, DOWN, RIGHT, DOWN, RIGHT, RIGHT],
]


def async_env(fns, autoreset_mode):
    return AsyncVectorEnv(fns, autoreset_mode=autoreset_mode, context="spawn")


@pytest.mark.parametrize("vector", [SyncVectorEnv, async_env], ids=["sync", "async"])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_vector_env_matches_the_single_env_reference_in_every_autoreset_mode(mode, vector):
    envs = rwc.gymnasium.RewardVectorWrapper(vector([make, make], autoreset_mode=mode), SPEC, label)
    envs.reset(seed=0)
    expected = [reference(script, mode) for script in SCRIPTS]
    ended = np.zeros(2, dtype=bool)
    for t, actions in enumerate(zip(*SCRIPTS)):
        if mode == AutoresetMode.DISABLED and ended.any():
            envs.reset(options={"reset_mask": ended.copy()})
        obs, rewards, terminated, truncated, info = envs.step(np.array(actions))
        for i in range(2):
            e_obs, e_reward, e_term, e_trunc, extra = expected[i][t]
            where = f"env {i}, step {t}, mode {mode.value}"
            assert int(obs[i]) == int(e_obs), where
            assert rewards[i] == pytest.approx(e_reward), where
            assert (bool(terminated[i]), bool(truncated[i])) == (e_term, e_trunc), where
            if extra is None:  # a NextStep reset step: no spec outputs
                assert not info["_episode_steps"][i], where
            else:
                final, steps = extra
                assert info["_episode_steps"][i] and info["episode_steps"][i] == steps, where
                if final is not None:
                    assert info["_final_obs"][i] and int(info["final_obs"][i]) == int(final), where
        ended = terminated | truncated
    envs.close()


def test_vector_labels_must_cover_the_inputs():
    envs = rwc.gymnasium.RewardVectorWrapper(SyncVectorEnv([make]), SPEC, lambda obs, info: {"corner": False})
    envs.reset(seed=0)
    with pytest.raises(rwc.InputError, match="no value for input `cell`"):
        envs.step(np.array([LEFT]))
