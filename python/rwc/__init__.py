"""rwc: reward specs, compiled and checked, evaluated over numpy batches.

    import numpy as np, rwc
    program = rwc.compile("examples/grpo_composite.rw")
    out = program.evaluate({"correct": ..., "length": ..., ...}, group=prompt_ids)
    out["reward"], out["logs"]["checklist_score"]

`compile` runs the whole compiler in process (parse, check, verify with Z3,
lower): the artifact is byte for byte what `rwc compile` writes. `load`
reads a `.rwc` artifact. A `Program` is immutable and thread-safe; it
pickles as its artifact bytes. `Program.evaluate` scores one batch of
one-step episodes (the LLM case); `Program.batch(n)` keeps `n` episodes
that advance one `step` at a time (environments).

Inputs are numpy arrays (or anything `numpy.asarray` takes), one per input
of the spec, keyed by name; see `Program.evaluate` for dtypes and copies.
Integrations with trainers live in `rwc.trl`, `rwc.verl`, `rwc.openrlhf`
and `rwc.gymnasium`.
"""

from __future__ import annotations

import difflib
import json
import os
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import CompileError, EvaluationError, InputError, LoadError

__all__ = [
    "Batch",
    "Bits",
    "CompileError",
    "CompileWarning",
    "EvaluationError",
    "InputError",
    "LoadError",
    "Program",
    "compile",
    "load",
]

__version__ = "0.1.0"


class Bits:
    """A bool prop given as bit `bit` (0 to 7) of each lane's byte in
    `labels` (uint8, one byte per lane): a labelling function's bitmask,
    which up to eight props share::

        labels = env_labels.astype(np.uint8)     # bit 0: coffee, bit 1: mail, ...
        batch.step({"coffee": rwc.Bits(labels, 0), "mail": rwc.Bits(labels, 1), ...})

    Read in place (no unpacking into bool columns); a machine whose props
    all come from one byte array reads the bytes as they are.
    """

    __slots__ = ("labels", "bit")

    def __init__(self, labels: Any, bit: int):
        if isinstance(bit, bool) or not isinstance(bit, (int, np.integer)) or not 0 <= int(bit) < 8:
            raise InputError(f"`Bits` takes a bit from 0 to 7, not {bit!r}")
        self.labels = labels
        self.bit = int(bit)

    def __repr__(self) -> str:
        return f"Bits(<{np.shape(self.labels)[0] if np.ndim(self.labels) else '?'} labels>, bit={self.bit})"


class CompileWarning(UserWarning):
    """A warning the checker reported while compiling (the program still runs)."""


def compile(spec: Union[str, os.PathLike], *, name: Optional[str] = None, warn: bool = True) -> "Program":
    """Checks, verifies and compiles a spec.

    `spec` is a path (a `pathlib.Path`, or a string naming an existing file)
    or the spec's text. Text is compiled as if it were a file `name` (default
    `<string>.rw`) in the current directory, so `use` finds local modules.
    Errors raise `CompileError` (its message is the rendered diagnostics;
    `.diagnostics` holds them as JSON text, as `rwc check --format json`
    prints them). Warnings are issued as `CompileWarning` unless `warn` is
    false; `Program.warnings` keeps them either way.
    """
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and "\n" not in spec and os.path.isfile(spec)):
        native = _native.compile_file(os.fspath(spec))
    elif isinstance(spec, str):
        if "\n" not in spec and spec.strip().endswith(".rw"):
            raise FileNotFoundError(f"no spec file `{spec}` (pass the spec's text, or a path that exists)")
        native = _native.compile_source(name or "<string>.rw", spec, os.getcwd())
    else:
        raise TypeError(f"compile takes a path or the spec's text, not {type(spec).__name__}")
    program = Program(native)
    if warn:
        import warnings

        for text in native.warnings:
            warnings.warn(text.rstrip(), CompileWarning, stacklevel=2)
    return program


def load(artifact: Union[bytes, bytearray, memoryview, str, os.PathLike]) -> "Program":
    """Loads a compiled artifact: its bytes, or the path of a `.rwc` file.

    A file that is not an artifact of this runtime's format raises `LoadError`
    (with "recompile the spec" for other format versions).
    """
    if isinstance(artifact, (bytes, bytearray, memoryview)):
        return Program(_native.load(bytes(artifact)))
    with open(artifact, "rb") as f:
        return Program(_native.load(f.read()))


class _Input:
    __slots__ = ("name", "kind", "width", "range")

    def __init__(self, name: str, kind: str, width: int, range_: Optional[tuple]):
        self.name, self.kind, self.width, self.range = name, kind, width, range_

    def describe(self) -> str:
        return f"{self.kind}[{self.width}]" if self.width else self.kind


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(str(d) for d in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _convert(spec: _Input, value: Any, lanes: Optional[int]) -> Any:
    """One input as the column `_native` reads: zero-copy when the array is
    C-contiguous and of the declared dtype, one copy otherwise."""
    name = spec.name
    if spec.kind == "criteria":
        return _criteria(name, value, lanes)
    if isinstance(value, Bits):
        if spec.kind != "bool" or spec.width:
            raise InputError(f"input `{name}` ({spec.describe()}) cannot be given as `Bits`: only bool props can")
        a = np.asarray(value.labels)
        if a.dtype != np.uint8 or a.ndim != 1:
            raise InputError(
                f"input `{name}`: `Bits` needs a 1-D uint8 array of label bytes; got dtype {a.dtype}, shape {_shape(a)}"
            )
        if lanes is not None and a.shape[0] != lanes:
            raise InputError(f"input `{name}` has {a.shape[0]} lanes; the other inputs have {lanes}")
        return (np.ascontiguousarray(a), value.bit)
    try:
        a = np.asarray(value)
    except Exception as e:  # ragged lists and the like
        raise InputError(f"input `{name}` ({spec.describe()}) is not an array: {e}") from None
    if a.size == 0 and a.dtype.kind in "fO":
        # An empty list has no dtype of its own.
        a = a.astype({"bool": np.bool_, "int": np.int32, "f32": np.float32}[spec.kind])
        if spec.width and a.ndim == 1:
            a = a.reshape(0, spec.width)
    expected = f"(n, {spec.width})" if spec.width else "(n,)"
    if a.ndim != (2 if spec.width else 1) or (spec.width and a.shape[1] != spec.width):
        raise InputError(f"input `{name}` ({spec.describe()}) must have shape {expected}; got shape {_shape(a)}")
    if lanes is not None and a.shape[0] != lanes:
        raise InputError(f"input `{name}` has {a.shape[0]} lanes; the other inputs have {lanes}")
    kind = a.dtype.kind
    if spec.kind == "bool":
        if kind == "b":
            column = a.view(np.uint8) if a.flags.c_contiguous else np.ascontiguousarray(a).view(np.uint8)
        elif kind in "iu" and a.size and ((a != 0) & (a != 1)).any():
            raise InputError(f"input `{name}` is bool: expected 0/1 values, found {a[(a != 0) & (a != 1)].flat[0]}")
        elif kind in "iu":
            column = a.astype(np.uint8)
        else:
            raise InputError(f"input `{name}` is bool: expected a bool array, got dtype {a.dtype}")
    elif spec.kind == "int":
        if kind not in "iu":
            raise InputError(f"input `{name}` is int: expected an integer array (int32), got dtype {a.dtype}")
        if a.dtype != np.int32:
            if a.size and (a.min() < -(2**31) or a.max() > 2**31 - 1):
                bad = a[(a < -(2**31)) | (a > 2**31 - 1)].flat[0]
                raise InputError(f"input `{name}` is int (32-bit): {bad} does not fit")
            a = a.astype(np.int32)
        column = np.ascontiguousarray(a)
    else:  # f32
        if kind not in "fiu":
            raise InputError(f"input `{name}` is f32: expected a float array (float32), got dtype {a.dtype}")
        column = np.ascontiguousarray(a, dtype=np.float32)
    return column.reshape(-1)


def _criteria(name: str, value: Any, lanes: Optional[int]) -> tuple:
    """A checklist: `(offsets, weights, verdicts)` arrays, or per lane a list
    of `(weight, verdict)` pairs."""
    if isinstance(value, tuple) and len(value) == 3:
        offsets, weights, verdicts = value
        offsets = np.ascontiguousarray(offsets, dtype=np.uint32).reshape(-1)
        weights = np.ascontiguousarray(weights, dtype=np.float32).reshape(-1)
        verdicts = np.ascontiguousarray(verdicts, dtype=np.float32).reshape(-1)
    else:
        try:
            per_lane = [list(items) for items in value]
            pairs = [(float(w), float(v)) for items in per_lane for (w, v) in items]
        except (TypeError, ValueError):
            raise InputError(
                f"input `{name}` is criteria: expected (offsets, weights, verdicts) or, per lane, a list of (weight, verdict) pairs"
            ) from None
        offsets = np.zeros(len(per_lane) + 1, dtype=np.uint32)
        np.cumsum([len(items) for items in per_lane], out=offsets[1:])
        weights = np.array([w for w, _ in pairs], dtype=np.float32)
        verdicts = np.array([v for _, v in pairs], dtype=np.float32)
    if lanes is not None and len(offsets) != lanes + 1:
        raise InputError(f"input `{name}` has {len(offsets) - 1} lanes; the other inputs have {lanes}")
    return (offsets, weights, verdicts)


def _lanes_of(value: Any, spec: _Input) -> Optional[int]:
    if isinstance(value, Bits):
        value = value.labels
    if spec.kind == "criteria":
        if isinstance(value, tuple) and len(value) == 3:
            return len(value[0]) - 1
        return len(value)
    return np.shape(value)[0] if np.ndim(value) >= 1 else None


def _group_ids(group: Any, lanes: int) -> np.ndarray:
    """Per-lane group keys (ints, strings, any hashable) as dense uint32 ids."""
    if isinstance(group, np.ndarray) and group.dtype.kind in "iu":
        keys = group.reshape(-1)
        if len(keys) != lanes:
            raise InputError(f"`group` has {len(keys)} lanes, expected {lanes}")
        if keys.size == 0 or (keys.min() >= 0 and keys.max() < 2**32 - 1):
            # Ids need not be dense: non-negative ints are used as they are.
            return np.ascontiguousarray(keys, dtype=np.uint32)
        return np.unique(keys, return_inverse=True)[1].astype(np.uint32).reshape(-1)
    keys = list(group)
    if len(keys) != lanes:
        raise InputError(f"`group` has {len(keys)} lanes, expected {lanes}")
    ids: dict = {}
    try:
        return np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.uint32, count=lanes)
    except TypeError:
        raise InputError("`group` keys must be hashable (ints, strings, tuples)") from None


def _flags(what: str, flags: Any, lanes: int) -> Optional[np.ndarray]:
    if flags is None:
        return None
    a = np.asarray(flags)
    if a.ndim == 0 and a.dtype.kind in "biu":
        a = np.full(lanes, bool(a))
    if a.dtype.kind not in "biu" or a.shape != (lanes,):
        raise InputError(f"`{what}` must be {lanes} booleans; got dtype {a.dtype}, shape {_shape(a)}")
    return np.ascontiguousarray(a != 0 if a.dtype.kind != "b" else a).view(np.uint8)


class Program:
    """A compiled, validated reward program (immutable; safe to share between
    threads; pickles as its artifact bytes)."""

    def __init__(self, native: Any):
        self._native = native
        self._inputs = [_Input(*i) for i in native.inputs()]
        self._by_name = {i.name: i for i in self._inputs}
        self._uses_groups = native.uses_groups()
        self._schema: Optional[dict] = None

    def __reduce__(self):
        return (load, (self.to_bytes(),))

    def __repr__(self) -> str:
        return f"<rwc.Program {self.schema()['spec']!r}: {len(self._inputs)} inputs>"

    def to_bytes(self) -> bytes:
        """The artifact, as `rwc compile` writes it."""
        return self._native.to_bytes()

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the artifact to `path` atomically (a temporary file, then a rename)."""
        path = os.fspath(path)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(self.to_bytes())
        os.replace(tmp, path)

    @property
    def warnings(self) -> list:
        """The checker's warnings, rendered (empty for a loaded artifact)."""
        return list(self._native.warnings)

    def schema(self) -> dict:
        """Inputs, params, outputs, automata and constraints: the JSON of
        `rwc inspect --format json`."""
        if self._schema is None:
            self._schema = json.loads(self._native.schema_json())
        return self._schema

    @property
    def input_names(self) -> list:
        return [i.name for i in self._inputs]

    @property
    def output_names(self) -> list:
        """`reward`, then every log, in declaration order."""
        return ["reward"] + [o["name"] for o in self.schema()["outputs"] if o.get("log")]

    def _columns(self, inputs: Mapping[str, Any]) -> tuple:
        if not isinstance(inputs, Mapping):
            raise TypeError(f"inputs must be a mapping from input names to arrays, not {type(inputs).__name__}")
        unknown = [k for k in inputs if k not in self._by_name]
        if unknown:
            close = difflib.get_close_matches(unknown[0], list(self._by_name), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; the spec's inputs are {self._describe_inputs()}"
            raise InputError(f"unknown input `{unknown[0]}`{hint}")
        missing = [i for i in self._inputs if i.name not in inputs]
        if missing:
            names = ", ".join(f"`{i.name}` ({i.describe()})" for i in missing)
            raise InputError(f"missing input{'s' if len(missing) > 1 else ''} {names}")
        lanes = None
        columns = []
        for spec in self._inputs:
            value = inputs[spec.name]
            if lanes is None:
                lanes = _lanes_of(value, spec)
            columns.append(_convert(spec, value, lanes))
        return columns, lanes

    def _describe_inputs(self) -> str:
        return ", ".join(f"`{i.name}` ({i.describe()})" for i in self._inputs) or "none"

    def evaluate(
        self,
        inputs: Mapping[str, Any],
        *,
        group: Any = None,
        truncated: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        lanes: Optional[int] = None,
        check_ranges: bool = True,
        check_nan: bool = False,
        isa: str = "auto",
    ) -> dict:
        """Scores one batch of one-step episodes (the LLM case): every lane is
        a fresh episode whose only step is this one.

        `inputs` maps every input name to an array with one row per lane:
        shape `(n,)` for scalars, `(n, k)` for `T[k]` vectors; a checklist
        (`criteria`) is `(offsets, weights, verdicts)` or per lane a list of
        `(weight, verdict)` pairs. Arrays that are C-contiguous and of the
        declared dtype (`bool`, `int32`, `float32`) are read in place;
        others are converted with one copy (float64 rounds to float32,
        other integer widths are checked to fit in int32).

        `group` gives each lane's group key (ints or any hashable, such as
        the prompt text) for group terms; a spec with group terms requires
        it. `truncated` (per lane) marks the step as the episode's last
        without `done`; by default every lane's step is its episode's last.
        `params` sets params for this call. Values outside an input's
        declared range (NaN included) raise `InputError` unless
        `check_ranges` is false; `check_nan` raises `EvaluationError` for a
        NaN output, naming where it came from. `isa` picks the evaluation
        path (`scalar`, the reference; `portable`, `avx2`, `avx512`; `auto`,
        the fastest this CPU has): every path gives the same bits.

        Returns `{"reward": float32[n], "done": bool[n], "episode_end":
        bool[n], "discount": float32[n], "logs": {name: array[n]}}` (fresh
        arrays; `discount` is the spec's `discount = ...`, 1.0 without one).
        """
        columns, n = self._columns(inputs)
        if n is None:
            n = lanes
        if n is None:
            raise InputError("a spec without inputs needs `lanes=` to know how many lanes to score")
        if lanes is not None and lanes != n:
            raise InputError(f"`lanes` is {lanes} but the inputs have {n} lanes")
        groups = self._groups(group, n)
        last = _flags("truncated", truncated, n)
        return self._native.evaluate(
            columns, last, groups, dict(params) if params else None, n, check_ranges, check_nan, isa
        )

    def _groups(self, group: Any, n: int) -> Optional[np.ndarray]:
        if group is None:
            if self._uses_groups:
                raise InputError(
                    "the spec has group terms (group_mean, group_std, ...) but no `group` was given; "
                    "pass group= (for example the prompt of each completion)"
                )
            return None
        return _group_ids(group, n)

    def batch(self, lanes: int, *, check_ranges: bool = True, check_nan: bool = False, isa: str = "auto") -> "Batch":
        """`lanes` episodes that advance one `Batch.step` at a time (`isa` as
        for `evaluate`)."""
        if not isinstance(lanes, (int, np.integer)) or lanes < 0:
            raise ValueError(f"`lanes` must be a non-negative int, not {lanes!r}")
        return Batch(self, self._native.batch(int(lanes), check_ranges, check_nan, isa))


class Batch:
    """Episodes of a multi-step environment, one per lane.

    Each lane keeps its automaton states, `prev`/`total` registers,
    potentials and step counter; a lane whose episode ends (`done`, or
    `truncated` given to `step`) starts a fresh episode on its next step.
    Calls on one batch are serialised; use one batch per environment (or
    per thread) to run in parallel.
    """

    def __init__(self, program: Program, native: Any):
        self.program = program
        self._native = native
        self._constraints = program._native.constraints()

    @property
    def lanes(self) -> int:
        return self._native.lanes

    def step(
        self, inputs: Mapping[str, Any], *, truncated: Any = None, group: Any = None, active: Any = None
    ) -> dict:
        """Advances every active lane by one step; inputs as for
        `Program.evaluate`. `truncated` ends those lanes' episodes after this
        step (a time limit); `active` (per lane) leaves inactive lanes
        untouched (their outputs are meaningless). Returns the outputs as
        `Program.evaluate` does."""
        columns, n = self.program._columns(inputs)
        if n is None:
            n = self.lanes
        if n != self.lanes:
            raise InputError(f"the inputs have {n} lanes; this batch has {self.lanes}")
        groups = self.program._groups(group, n)
        return self._native.step(columns, _flags("truncated", truncated, n), groups, _flags("active", active, n))

    def reset(self, mask: Any = None) -> None:
        """Starts fresh episodes in the lanes where `mask` is true (every lane
        without one), discarding the running episodes."""
        self._native.reset(_flags("mask", mask, self.lanes), False)

    def end_episode(self, mask: Any = None) -> None:
        """Ends the running episodes as a truncation would (their episodic
        constraint sums count for the next `end_batch`), then starts fresh ones."""
        self._native.reset(_flags("mask", mask, self.lanes), True)

    @property
    def params(self) -> dict:
        """Current param values (multipliers included), by name."""
        return {p["name"]: self._native.get_param(p["name"]) for p in self.program.schema()["params"]}

    def get_param(self, name: str) -> Any:
        return self._native.get_param(name)

    def set_param(self, name: str, value: Any) -> None:
        """Sets a param for the following steps (type and declared range checked)."""
        self._native.set_param(name, value)

    def set_params(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            self._native.set_param(name, value)

    @property
    def multipliers(self) -> dict:
        """Each constraint's Lagrange multiplier, by constraint name."""
        return {c: self._native.get_param(p) for c, p in self._constraints}

    def set_multipliers(self, values: Mapping[str, float]) -> None:
        """Sets Lagrange multipliers by constraint name (for example restored
        from a checkpoint)."""
        params = dict(self._constraints)
        for name, value in values.items():
            if name not in params:
                known = ", ".join(f"`{c}`" for c in params) or "none"
                raise ValueError(f"unknown constraint `{name}` (the spec declares {known})")
            self._native.set_param(params[name], value)

    def end_batch(self) -> dict:
        """The end-of-batch multiplier update (PPO-Lagrangian's dual step);
        the new multipliers by constraint name."""
        values = self._native.end_batch()
        return {c: v for (c, _), v in zip(self._constraints, values)}

    def automaton_states(self) -> dict:
        """Each automaton's current state index per lane, by automaton name
        (state names are in `program.schema()["automata"]`)."""
        return self._native.automaton_states()
