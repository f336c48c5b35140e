"""Gymnasium (1.x) wrappers that run a compiled spec beside an environment.

    import gymnasium as gym, rwc.gymnasium
    def label(obs, info):                 # what the spec's inputs see
        return {"at_goal": obs == 15, "in_hole": info.get("hole", False)}
    env = rwc.gymnasium.RewardWrapper(gym.make("FrozenLake-v1"), "task.rw", label)

The wrappers replace the environment's reward with the spec's `reward`,
add every log of the spec to `info` (vector envs: arrays with `_name`
masks), end episodes when the spec's `done` holds (`terminated`), and pass
`truncated` through. Each env keeps its own automaton states, `prev` and
`total` registers and potentials, which start afresh with every episode.

The labelling function gets one env's observation and info and returns a
dict from input names to values; `env_reward_input="name"` also feeds the
environment's own reward to that input. An episode the *environment* ends
(terminated or truncated) ends the spec's episode too, as the last step of
a truncated episode: its potential-based shaping bootstraps. To treat the
environment's termination as terminal in the spec, give the spec an input
for it and name it in `done when`.

Vector envs (`RewardVectorWrapper`) follow the environment's autoreset mode
(`env.metadata["autoreset_mode"]`):

- `NextStep` (the default): the step after an episode ends is a reset step
  (the action is ignored, the reward is 0). The spec does not step there;
  its outputs are masked out of `info`.
- `SameStep`: the step that ends an episode already returns the next
  episode's first observation; the spec labels that step from
  `info["final_obs"]` and `info["final_info"]`.
- `Disabled`: you reset ended envs with `reset(options={"reset_mask": m})`.

When the spec's `done` ends an episode that the environment would have
continued, the wrapper reports `terminated` and resets that sub-environment
itself (`reset(options={"reset_mask": ...})`) as the mode prescribes: on the
next step for `NextStep`, at once (with `final_obs`) for `SameStep`, and by
your reset for `Disabled`.

A spec that declares `discount = ...` (the state-dependent discounting of
the ω-regular reward schemes, `std::omega`) adds `info["discount"]`: the
factor for this step, 1.0 where a vector env's spec did not step.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Optional, Union

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper
from gymnasium.vector.utils import iterate

from . import Program
from ._llm import as_program

__all__ = ["RewardWrapper", "RewardVectorWrapper"]

_DTYPES = {"f32": np.float32, "int": np.int32, "bool": np.bool_}

Label = Callable[[Any, Mapping[str, Any]], Mapping[str, Any]]


def _inputs(program: Program, rows: list) -> dict:
    """Per-lane label dicts as the spec's input columns."""
    names = program.input_names
    return {name: [row[name] if name in row else _missing(name, row) for row in rows] for name in names}


def _missing(name: str, row: Mapping[str, Any]):
    from . import InputError

    raise InputError(f"the labelling function returned no value for input `{name}` (it returned {', '.join(sorted(row)) or 'nothing'})")


def _label(label: Label, obs: Any, info: Mapping[str, Any], env_reward_input: Optional[str], reward: Any) -> dict:
    row = dict(label(obs, info))
    if env_reward_input is not None:
        row[env_reward_input] = reward
    return row


def _attach(wrapper: Any, spec: Union[Program, str, os.PathLike], label: Label, env_reward_input: Optional[str], lanes: int) -> None:
    """What both wrappers hold: the program, the labelling and a batch of `lanes` lanes."""
    wrapper.program = as_program(spec)
    wrapper.label = label
    wrapper.env_reward_input = env_reward_input
    wrapper._batch = wrapper.program.batch(lanes)
    # A spec with `discount = ...` reports each step's factor as `info["discount"]`.
    wrapper._has_discount = any(o["name"] == "discount" for o in wrapper.program.schema()["outputs"])


class RewardWrapper(gymnasium.Wrapper):
    """A single environment whose reward is a spec's."""

    def __init__(
        self,
        env: gymnasium.Env,
        spec: Union[Program, str, os.PathLike],
        label: Label,
        *,
        env_reward_input: Optional[str] = None,
    ):
        super().__init__(env)
        _attach(self, spec, label, env_reward_input, lanes=1)

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        self._batch.reset()
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        row = _label(self.label, obs, info, self.env_reward_input, env_reward)
        out = self._batch.step(_inputs(self.program, [row]), truncated=[bool(terminated or truncated)])
        info = dict(info)
        info["env_reward"] = env_reward
        for name, values in out["logs"].items():
            info[name] = values[0].item()
        if self._has_discount:
            # The spec's `discount = ...`: the factor for this step.
            info["discount"] = float(out["discount"][0])
        return obs, float(out["reward"][0]), bool(terminated or out["done"][0]), bool(truncated), info


def _info_at(info: Mapping[str, Any], i: int) -> dict:
    """One sub-environment's info out of a vector info (arrays with `_key` masks)."""
    out = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        mask = info.get("_" + key)
        if mask is not None and not mask[i]:
            continue
        if isinstance(value, dict):
            out[key] = _info_at(value, i)
        elif isinstance(value, np.ndarray):
            item = value[i]
            out[key] = item.item() if isinstance(item, np.generic) else item
        else:
            out[key] = value
    return out


class RewardVectorWrapper(VectorWrapper):
    """A vector environment whose rewards are a spec's, one lane per sub-environment."""

    def __init__(
        self,
        env: VectorEnv,
        spec: Union[Program, str, os.PathLike],
        label: Label,
        *,
        env_reward_input: Optional[str] = None,
    ):
        super().__init__(env)
        _attach(self, spec, label, env_reward_input, lanes=self.num_envs)
        self.autoreset_mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        # NextStep: sub-environments whose next step is a reset step.
        self._reset_next = np.zeros(self.num_envs, dtype=bool)
        # Sub-environments the spec ended but the environment did not.
        self._spec_ended = np.zeros(self.num_envs, dtype=bool)

    def reset(self, *, seed=None, options: Optional[dict] = None):
        mask = None if options is None else options.get("reset_mask")
        if mask is None:
            self._batch.reset()
            self._reset_next[:] = False
            self._spec_ended[:] = False
        else:
            self._batch.reset(mask)
            self._reset_next[mask] = False
            self._spec_ended[mask] = False
        return self.env.reset(seed=seed, options=options)

    def _reset_envs(self, mask: np.ndarray):
        obs, info = self.env.reset(options={"reset_mask": mask.copy()})
        return obs, info

    def step(self, actions):
        obs, env_rewards, terminated, truncated, info = self.env.step(actions)
        terminated = np.array(terminated, dtype=bool)
        truncated = np.array(truncated, dtype=bool)
        info = dict(info)
        n = self.num_envs
        active = np.ones(n, dtype=bool)
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            # The environment reset these itself (its own episode ends) ...
            active[self._reset_next & ~self._spec_ended] = False
            # ... and these the spec ended: this step's action went to the old
            # episode, so reset them now and report the reset step.
            spec_ended = self._spec_ended
            if spec_ended.any():
                obs, _ = self._reset_envs(spec_ended)
                active[spec_ended] = False
                env_rewards = np.where(spec_ended, 0.0, env_rewards)
                terminated[spec_ended] = False
                truncated[spec_ended] = False
            self._spec_ended = np.zeros(n, dtype=bool)

        ended = terminated | truncated
        observations = list(iterate(self.env.observation_space, obs))
        final_obs = info.get("final_obs") if self.autoreset_mode == AutoresetMode.SAME_STEP else None
        final_info = info.get("final_info", {})
        rows = []
        for i in range(n):
            if not active[i]:
                rows.append(None)
                continue
            if final_obs is not None and ended[i]:
                o, inf = final_obs[i], _info_at(final_info, i)
            else:
                o, inf = observations[i], _info_at(info, i)
            rows.append(_label(self.label, o, inf, self.env_reward_input, env_rewards[i].item()))
        filler = next((r for r in rows if r is not None), None)
        if filler is None:
            out = None
        else:
            rows = [r if r is not None else filler for r in rows]
            out = self._batch.step(_inputs(self.program, rows), truncated=ended & active, active=active)

        rewards = np.zeros(n, dtype=np.float32)
        spec_done = np.zeros(n, dtype=bool)
        if out is not None:
            rewards = np.where(active, out["reward"], 0.0).astype(np.float32)
            spec_done = out["done"] & active
            logs = out["logs"]
        else:  # every env took a reset step: the same keys, all masked out
            logs = {o["name"]: np.zeros(n, dtype=_DTYPES[o["type"]]) for o in self.program.schema()["outputs"] if o.get("log")}
        for name, values in logs.items():
            info[name] = values
            info["_" + name] = active.copy()
        if self._has_discount:
            discount = np.ones(n, dtype=np.float32) if out is None else np.where(active, out["discount"], 1.0)
            info["discount"] = discount.astype(np.float32)
            info["_discount"] = active.copy()
        info["env_reward"] = np.asarray(env_rewards)
        info["_env_reward"] = np.ones(n, dtype=bool)

        newly = spec_done & ~ended
        terminated = terminated | spec_done
        if newly.any():
            if self.autoreset_mode == AutoresetMode.NEXT_STEP:
                self._spec_ended = newly
            elif self.autoreset_mode == AutoresetMode.SAME_STEP:
                # Report the ended episode's last observation as final_obs and
                # start the next episode now, as SameStep does.
                fo = info.get("final_obs")
                fo = np.full(n, None, dtype=object) if fo is None else fo.copy()
                fmask = np.array(info.get("_final_obs", np.zeros(n, dtype=bool)), dtype=bool)
                for i in np.flatnonzero(newly):
                    fo[i] = observations[i]
                fmask = fmask | newly
                obs, _ = self._reset_envs(newly)
                info["final_obs"], info["_final_obs"] = fo, fmask
            # Disabled: the caller resets ended environments.
        self._reset_next = terminated | truncated
        return obs, rewards, terminated, truncated, info
