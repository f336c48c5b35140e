"""Bad input raises InputError (a ValueError) naming the input, what was
expected and what came: never a crash, never a silently wrong reward."""

import numpy as np
import pytest

import rwc
from conftest import example, w2_batch


def bad(grpo, match, **changes):
    inputs, group = w2_batch(16)
    group_arg = changes.pop("group", group)
    inputs.update(changes)
    for k in [k for k, v in inputs.items() if v is None]:
        del inputs[k]
    with pytest.raises(rwc.InputError, match=match) as e:
        grpo.evaluate(inputs, group=group_arg)
    assert isinstance(e.value, ValueError)


def test_a_missing_input(grpo):
    bad(grpo, r"missing input `ref` \(f32\)", ref=None)


def test_an_unknown_input_with_a_suggestion(grpo):
    inputs, group = w2_batch(16)
    inputs["lenght"] = inputs.pop("length")
    with pytest.raises(rwc.InputError, match="unknown input `lenght`; did you mean `length`"):
        grpo.evaluate(inputs, group=group)


def test_wrong_dtypes(grpo):
    bad(grpo, r"input `ref` is f32: expected a float array \(float32\), got dtype <U", ref=np.array(["x"] * 16))
    bad(grpo, r"input `length` is int: expected an integer array \(int32\), got dtype float64", length=np.full(16, 100.0))
    bad(grpo, r"input `correct` is bool: expected a bool array, got dtype float32", correct=np.ones(16, np.float32))
    bad(grpo, r"input `correct` is bool: expected 0/1 values, found 2", correct=np.full(16, 2))
    bad(grpo, r"input `length` is int \(32-bit\): 4294967296 does not fit", length=np.full(16, 2**32))


def test_wrong_shapes(grpo):
    bad(grpo, r"input `scores` \(f32\[4\]\) must have shape \(n, 4\); got shape \(16, 3\)", scores=np.zeros((16, 3), np.float32))
    bad(grpo, r"input `ref` \(f32\) must have shape \(n,\); got shape \(16, 1\)", ref=np.zeros((16, 1), np.float32))
    bad(grpo, r"input `ref` has 15 lanes; the other inputs have 16", ref=np.zeros(15, np.float32))
    bad(grpo, r"`group` has 3 lanes, expected 16", group=[0, 0, 1])


def test_values_outside_the_declared_range_and_nan(grpo):
    length = np.full(16, 100, np.int32)
    length[5] = 9000
    bad(grpo, r"input `length` is 9000 in lane 5, outside its declared range 50..=8192", length=length)
    program = rwc.compile(example("constrained_rlhf.rw"))
    tox = np.full(4, 0.1, np.float32)
    tox[2] = np.nan
    with pytest.raises(rwc.InputError, match=r"input `toxicity` is NaN in lane 2, outside its declared range 0..=1"):
        program.evaluate({"helpfulness": np.full(4, 0.5), "toxicity": tox})


def test_group_terms_need_a_group(grpo):
    inputs, _ = w2_batch(16)
    with pytest.raises(rwc.InputError, match="group terms"):
        grpo.evaluate(inputs)


def test_bad_checklists():
    program = rwc.compile(example("longform_acerl.rw"))
    common = {"formal": [True], "cites": [1.0], "length": [100]}
    with pytest.raises(rwc.InputError, match="weight -1 and verdict 1"):
        program.evaluate(dict(common, checks=[[(-1.0, 1.0)]]))
    with pytest.raises(rwc.InputError, match="criteria: expected"):
        program.evaluate(dict(common, checks=[["not a pair"]]))


def test_nan_outputs_name_their_origin_when_asked():
    program = rwc.compile("spec n\ninput x: f32\nreward = sqrt(x)\n", name="n.rw", warn=False)
    x = np.array([4.0, -1.0], np.float32)
    assert np.isnan(program.evaluate({"x": x})["reward"][1])
    with pytest.raises(rwc.EvaluationError, match=r"output `reward` is NaN in lane 1; the first NaN comes from n.rw:3"):
        program.evaluate({"x": x}, check_nan=True)


def test_batches_check_their_lane_count():
    program = rwc.compile(example("constrained_rlhf.rw"))
    batch = program.batch(4)
    with pytest.raises(rwc.InputError, match="the inputs have 3 lanes; this batch has 4"):
        batch.step({"helpfulness": np.zeros(3), "toxicity": np.zeros(3)})
    with pytest.raises(rwc.InputError, match="`truncated` must be 4 booleans"):
        batch.step({"helpfulness": np.zeros(4), "toxicity": np.zeros(4)}, truncated=[True])
    with pytest.raises(rwc.InputError, match="`truncated` must be 4 booleans; got dtype <U1"):
        batch.step({"helpfulness": np.zeros(4), "toxicity": np.zeros(4)}, truncated="x")
    with pytest.raises(ValueError, match="outside its declared range"):
        batch.set_param(program.schema()["params"][0]["name"], -1.0)
    with pytest.raises(ValueError, match="lanes"):
        program.batch(-1)


def test_too_many_lanes_is_an_error_not_an_allocation_failure():
    program = rwc.compile(example("office.rw"))
    with pytest.raises(rwc.InputError, match="evaluate fewer lanes"):
        program.batch(10**12)
