"""What the LLM-trainer integrations share: turning a trainer's per-sample
data into a spec's input columns, and scoring a whole batch in one call.

A *binding* maps each input of the spec to where its value comes from:

- a string names a field of the sample (a dataset column, or one of the
  fields the trainer passes, such as `completion` for TRL or `ground_truth`
  for verl);
- a callable is called once per sample with every field as a keyword
  argument (`def correct(completion, answer, **_): ...`) and returns the
  input's value.

Bindings made of strings and module-level functions pickle; lambdas do not
(TRL's async trainer, Ray and multiprocessing pickle reward functions).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from . import InputError, Program, compile, load

Binding = Mapping[str, Union[str, Callable[..., Any]]]
GroupKey = Union[None, str, Callable[..., Any]]


def as_program(spec: Union[Program, str, os.PathLike]) -> Program:
    """A program, or a path to a `.rw` spec (compiled) or `.rwc` artifact (loaded)."""
    if isinstance(spec, Program):
        return spec
    if os.fspath(spec).endswith(".rwc"):
        return load(spec)
    return compile(spec)


def hashable(key: Any) -> Any:
    """Group keys from chat messages (lists of dicts) made hashable."""
    if isinstance(key, dict):
        return tuple(sorted((k, hashable(v)) for k, v in key.items()))
    if isinstance(key, (list, tuple)):
        return tuple(hashable(v) for v in key)
    if isinstance(key, np.ndarray):
        return tuple(key.tolist())
    return key


class Scorer:
    """Scores batches of samples (dicts of fields) with one `evaluate` call."""

    def __init__(self, program: Program, inputs: Binding, group: GroupKey):
        self.program = program
        self.inputs = dict(inputs)
        self.group = group
        names = set(program.input_names)
        unknown = [k for k in self.inputs if k not in names]
        if unknown:
            raise InputError(f"the binding names `{unknown[0]}`, which is not an input of the spec (its inputs: {', '.join(sorted(names))})")
        missing = [k for k in program.input_names if k not in self.inputs]
        if missing:
            raise InputError(
                f"input `{missing[0]}` has no binding: map it to a sample field or a function of the sample"
            )

    @property
    def uses_groups(self) -> bool:
        return self.program._uses_groups

    def _value(self, name: str, source: Any, sample: Mapping[str, Any]) -> Any:
        if isinstance(source, str):
            try:
                return sample[source]
            except KeyError:
                raise InputError(
                    f"input `{name}` is bound to the field `{source}`, which the samples lack (they have {', '.join(sorted(sample))})"
                ) from None
        return source(**sample)

    def columns(self, samples: Sequence[Mapping[str, Any]]) -> dict:
        out = {}
        for name, source in self.inputs.items():
            out[name] = [self._value(name, source, s) for s in samples]
        return out

    def group_keys(self, samples: Sequence[Mapping[str, Any]]) -> Optional[list]:
        if not self.uses_groups or self.group is None:
            return None
        if isinstance(self.group, str):
            return [hashable(s.get(self.group)) for s in samples]
        return [hashable(self.group(**s)) for s in samples]

    def score(self, samples: Sequence[Mapping[str, Any]]) -> dict:
        columns = self.columns(samples)
        if not samples and not columns:
            return self.program.evaluate({}, lanes=0)
        return self.program.evaluate(columns, group=self.group_keys(samples), lanes=len(samples))

    def __getstate__(self):
        return {"program": self.program, "inputs": self.inputs, "group": self.group}

    def __setstate__(self, state):
        self.__init__(state["program"], state["inputs"], state["group"])


def completion_text(completion: Any) -> str:
    """A completion as text: a string as it is; in conversational format (a
    list of messages) the contents of its messages, joined."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    if isinstance(completion, (list, tuple)):
        return "".join(completion_text(m) for m in completion)
    return str(completion)
