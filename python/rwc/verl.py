"""`compute_score` for verl's reward managers.

verl calls a custom reward function (`custom_reward_function.path` and
`.name` in its config) in one of two forms:

- per sample (the `naive` manager): `compute_score(data_source,
  solution_str, ground_truth, extra_info=None, **kwargs)`, which returns a
  dict with `score` and any other values (verl collects every key into
  `reward_extra_info`, so each call must return the same keys);
- per batch (`reward_model.reward_manager=batch`):
  `compute_score(data_sources=, solution_strs=, ground_truths=,
  extra_infos=, **kwargs)`, which returns a list of such dicts.

`rwc.verl.compute_score(spec, inputs)` returns one function that serves
both. Put it in the file verl loads:

    # my_reward.py  (custom_reward_function.path=my_reward.py, name=compute_score)
    import rwc.verl
    compute_score = rwc.verl.compute_score("task.rw", inputs={
        "correct": lambda solution_str, ground_truth, **_: ground_truth in solution_str,
        "length": lambda solution_str, **_: len(solution_str.split()),
    })

Each sample's fields, for the bindings: `data_source`, `solution_str`,
`ground_truth`, `extra_info`, and any extra keyword verl passes. The dicts
hold `score` (the spec's reward) and every log of the spec.

Group terms need the batch form: the per-sample form sees one completion
at a time, so a spec with group terms raises there (rather than computing
group statistics over a group of one). In the batch form completions are
grouped by `extra_info["index"]` when verl's data has it (its example
preprocessing scripts store the row index there, shared by a prompt's
responses), else by `ground_truth`; pass `group=` to choose.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

from . import InputError, Program
from ._llm import Binding, GroupKey, Scorer, as_program

__all__ = ["compute_score", "ComputeScore"]


def _default_group(extra_info=None, ground_truth=None, **_):
    if isinstance(extra_info, dict) and "index" in extra_info:
        return ("index", extra_info["index"])
    return ("ground_truth", ground_truth)


class ComputeScore:
    """A picklable verl `compute_score` over a spec."""

    __name__ = "compute_score"

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self.keys = ["score", *[n for n in scorer.program.output_names if n != "reward"]]

    def _dicts(self, out: dict) -> list:
        logs = out["logs"]
        columns = [out["reward"], *[logs[k] for k in self.keys[1:]]]
        return [{k: c[i].item() for k, c in zip(self.keys, columns)} for i in range(len(out["reward"]))]

    def __call__(
        self,
        data_source: Any = None,
        solution_str: Optional[str] = None,
        ground_truth: Any = None,
        extra_info: Any = None,
        *,
        data_sources: Optional[Sequence[Any]] = None,
        solution_strs: Optional[Sequence[str]] = None,
        ground_truths: Optional[Sequence[Any]] = None,
        extra_infos: Optional[Sequence[Any]] = None,
        **kwargs: Any,
    ):
        if solution_strs is not None:
            n = len(solution_strs)
            samples = [
                dict(
                    kwargs,
                    data_source=data_sources[i] if data_sources is not None else None,
                    solution_str=solution_strs[i],
                    ground_truth=ground_truths[i] if ground_truths is not None else None,
                    extra_info=extra_infos[i] if extra_infos is not None else None,
                )
                for i in range(n)
            ]
            return self._dicts(self.scorer.score(samples))
        if solution_str is None:
            raise TypeError("compute_score needs `solution_str` (per sample) or `solution_strs` (batch form)")
        if self.scorer.uses_groups:
            raise InputError(
                "the spec has group terms, which the per-sample form of compute_score cannot compute "
                "(it sees one response at a time); use verl's batch reward manager "
                "(reward_model.reward_manager=batch)"
            )
        sample = dict(kwargs, data_source=data_source, solution_str=solution_str, ground_truth=ground_truth, extra_info=extra_info)
        return self._dicts(self.scorer.score([sample]))[0]

    def __repr__(self) -> str:
        return f"<rwc.verl.ComputeScore {self.scorer.program.schema()['spec']!r}>"


def compute_score(
    spec: Union[Program, str, os.PathLike], inputs: Binding, *, group: GroupKey = _default_group
) -> ComputeScore:
    """verl's `compute_score` (both forms) for a spec; see the module's docs."""
    return ComputeScore(Scorer(as_program(spec), inputs, group))
