"""`reward_func` for OpenRLHF's `--remote_rm_url /path/to/reward_func.py`.

OpenRLHF imports the file and calls `reward_func(queries, prompts, labels,
**kwargs)` on a batch, where `queries` are prompt + response texts,
`prompts` the prompts and `labels` the `--label_key` column; it expects a
dict with `rewards` (for the advantages), `scores` (in [0, 1], for dynamic
filtering) and `extra_logs` (logged to wandb).

    # reward_func.py
    import rwc.openrlhf
    reward_func = rwc.openrlhf.reward_func("task.rw", inputs={
        "correct": lambda response, label, **_: label in response,
    })

Each sample's fields, for the bindings: `query`, `prompt`, `label`,
`response` (the query with its prompt removed), and the row's value of any
extra keyword list OpenRLHF passes. Completions are grouped by prompt.
`rewards` is the spec's reward; `scores` is a log of the spec named by
`scores=` (default: the reward); `extra_logs` holds the batch mean of every
log. With PyTorch installed the values are tensors, as OpenRLHF's own
examples return; otherwise numpy arrays and floats.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

from . import Program
from ._llm import Binding, GroupKey, Scorer, as_program

__all__ = ["reward_func", "RewardFunc"]


def _tensor(values):
    try:
        import torch
    except ImportError:
        return values
    return torch.from_numpy(values.copy())


class RewardFunc:
    """A picklable OpenRLHF `reward_func` over a spec."""

    __name__ = "reward_func"

    def __init__(self, scorer: Scorer, scores: Optional[str]):
        self.scorer = scorer
        logs = [n for n in scorer.program.output_names if n != "reward"]
        if scores is not None and scores not in logs:
            raise ValueError(f"`scores={scores!r}` is not a log of the spec (it has {', '.join(logs) or 'none'})")
        self.scores = scores

    def __call__(self, queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any] = None, **kwargs: Any) -> dict:
        samples = []
        for i, (query, prompt) in enumerate(zip(queries, prompts)):
            response = query[len(prompt):] if isinstance(prompt, str) and query.startswith(prompt) else query
            sample = {k: v[i] for k, v in kwargs.items() if isinstance(v, (list, tuple)) and len(v) == len(queries)}
            sample.update(query=query, prompt=prompt, label=labels[i] if labels is not None else None, response=response)
            samples.append(sample)
        out = self.scorer.score(samples)
        rewards = out["reward"]
        scores = rewards if self.scores is None else out["logs"][self.scores].astype("float32")
        extra = {name: float(v.mean()) if len(v) else 0.0 for name, v in out["logs"].items()}
        return {"rewards": _tensor(rewards), "scores": _tensor(scores), "extra_logs": extra}


def reward_func(
    spec: Union[Program, str, os.PathLike], inputs: Binding, *, scores: Optional[str] = None, group: GroupKey = "prompt"
) -> RewardFunc:
    """OpenRLHF's `reward_func` for a spec; see the module's docs."""
    return RewardFunc(Scorer(as_program(spec), inputs, group), scores)
