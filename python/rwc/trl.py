"""Reward functions for TRL's `GRPOTrainer(reward_funcs=...)`.

TRL calls each reward function once per batch with keywords only:
`prompts`, `completions` (strings, or message lists in conversational
format), `completion_ids`, `trainer_state`, `log_extra`, `log_metric`, and
every other dataset column as a list; it expects `list[float | None]` and
logs each function's mean under `rewards/<__name__>/mean`.

    import rwc.trl
    funcs = rwc.trl.reward_funcs(
        "examples/trl_reward.rw",
        inputs={"correct": is_correct, "length": completion_tokens},
    )
    trainer = GRPOTrainer(model=..., reward_funcs=funcs, args=GRPOConfig(...))

Each sample's fields, for the bindings (see `rwc._llm`): `prompt`,
`completion` (text; conversational completions are their messages'
contents joined), `messages` (the completion as TRL passed it),
`completion_ids`, and the row's value of every dataset column.

Groups: TRL does not say which completions share a prompt; rwc groups by
identical prompt (`group="prompt"`, the default), which is what GRPO's
`num_generations` completions per prompt are. Pass another field name or a
function of the sample to group otherwise.

Normalisation: TRL already subtracts the group mean and (unless
`scale_rewards="none"`) divides by the group's standard deviation. A spec
that normalises by itself (`group_norm`, `reward = x - group_mean(x)`) is
normalised twice; either drop it from the spec or set
`GRPOConfig(scale_rewards="none")` and know that TRL still centres.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Sequence, Union

from . import Program
from ._llm import Binding, GroupKey, Scorer, as_program, completion_text

__all__ = ["reward_funcs", "reward_weights", "RewardFunction"]


class _Shared:
    """The scorer and the last batch's outputs, shared by one call of
    `reward_funcs`' callables (TRL calls them one after another on the same
    lists, so the spec runs once per batch)."""

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self._key: Optional[tuple] = None
        self._out: Optional[dict] = None

    def outputs(self, prompts: Sequence[Any], completions: Sequence[Any], kwargs: dict) -> dict:
        key = (prompts, completions)
        if self._key is not None and self._key[0] is prompts and self._key[1] is completions:
            return self._out  # type: ignore[return-value]
        completion_ids = kwargs.get("completion_ids")
        columns = {k: v for k, v in kwargs.items() if k not in _NOT_COLUMNS}
        samples = []
        for i, (prompt, completion) in enumerate(zip(prompts, completions)):
            sample = {k: v[i] for k, v in columns.items()}
            sample.update(
                prompt=prompt,
                completion=completion_text(completion),
                messages=completion,
                completion_ids=completion_ids[i] if completion_ids is not None else None,
            )
            samples.append(sample)
        self._out = self.scorer.score(samples)
        self._key = key
        return self._out

    def __getstate__(self):
        return {"scorer": self.scorer}

    def __setstate__(self, state):
        self.__init__(state["scorer"])


_NOT_COLUMNS = {"prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric"}


class RewardFunction:
    """One component (the reward or a log of the spec) as a TRL reward
    function; picklable, named `__name__` for TRL's logs."""

    def __init__(self, shared: _Shared, component: str, name: str, log_components: bool):
        self._shared = shared
        self.component = component
        self.__name__ = name
        self._log_components = log_components

    def __call__(self, prompts=None, completions=None, **kwargs: Any) -> list:
        if prompts is None or completions is None:
            raise TypeError("TRL reward functions are called with `prompts=` and `completions=`")
        out = self._shared.outputs(prompts, completions, kwargs)
        values = out["reward"] if self.component == "reward" else out["logs"][self.component]
        if self._log_components:
            log_metric, log_extra = kwargs.get("log_metric"), kwargs.get("log_extra")
            for name, column in out["logs"].items():
                if log_metric is not None:
                    log_metric(name, float(column.mean()) if len(column) else 0.0)
                if log_extra is not None:
                    log_extra(name, column.tolist())
        return [float(v) for v in values]

    def __repr__(self) -> str:
        return f"<rwc.trl.RewardFunction {self.__name__}>"


def reward_funcs(
    spec: Union[Program, str, os.PathLike],
    inputs: Binding,
    *,
    components: Union[str, Iterable[str]] = ("reward",),
    group: GroupKey = "prompt",
    prefix: str = "",
) -> list:
    """TRL reward functions for a spec: by default one, the spec's `reward`,
    which also reports every log of the spec through TRL's `log_metric`
    (batch mean) and `log_extra` (per completion).

    `components="all"` (or a list of names) returns one function per
    component instead: `reward` and each log, named `prefix + name`, so
    TRL logs each under its own name. TRL sums reward functions weighted by
    `GRPOConfig(reward_weights=...)`: pass `reward_weights(funcs)` (1 for
    `reward`, 0 for logs) so the logs are reported but not added.
    """
    program = as_program(spec)
    scorer = Scorer(program, inputs, group)
    logs = [n for n in program.output_names if n != "reward"]
    names = ["reward", *logs] if components == "all" else list(components)
    for name in names:
        if name != "reward" and name not in logs:
            raise ValueError(f"`{name}` is not an output of the spec (it has reward, {', '.join(logs) or 'no logs'})")
    shared = _Shared(scorer)
    single = names == ["reward"]
    return [RewardFunction(shared, n, prefix + n, single) for n in names]


def reward_weights(funcs: Sequence[RewardFunction]) -> list:
    """`GRPOConfig.reward_weights` that add the spec's reward once and only log the rest."""
    return [1.0 if f.component == "reward" else 0.0 for f in funcs]
