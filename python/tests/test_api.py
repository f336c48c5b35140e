"""The package's API: compile, load, schema, evaluate, batches, pickling."""

import os
import pickle
import subprocess

import numpy as np
import pytest

import rwc
from conftest import example, rwc_binary, w2_batch, w2_reference


def test_compile_from_a_path_and_from_text_give_the_same_artifact(tmp_path):
    from_path = rwc.compile(example("office.rw"))
    text = open(example("office.rw")).read()
    # Spans in the artifact name the file: same name, same bytes.
    from_text = rwc.compile(text, name=example("office.rw"))
    assert from_path.to_bytes() == from_text.to_bytes()
    assert rwc.compile(text).schema() == from_path.schema()
    import pathlib

    assert rwc.compile(pathlib.Path(example("office.rw"))).to_bytes() == from_path.to_bytes()


def test_compile_gives_the_artifact_rwc_compile_writes(tmp_path):
    binary = rwc_binary()
    if binary is None:
        pytest.skip("no rwc binary (build it with `cargo build -p rwc`)")
    for name in ("office.rw", "grpo_composite.rw", "delivery_ltlf.rw", "longform_acerl.rw"):
        out = tmp_path / (name + "c")
        subprocess.run([binary, "compile", example(name), "-o", str(out)], check=True, capture_output=True)
        assert rwc.compile(example(name), warn=False).to_bytes() == out.read_bytes(), name


def test_a_spec_with_errors_raises_compile_error_with_its_diagnostics():
    with pytest.raises(rwc.CompileError) as e:
        rwc.compile("spec broken\ninput x: f32\nreward = x + y\n")
    assert isinstance(e.value, ValueError)
    assert "`y`" in str(e.value)
    assert any('"code"' in d for d in e.value.diagnostics)


def test_a_missing_spec_file_is_a_file_not_found_error():
    with pytest.raises(FileNotFoundError, match="nope.rw"):
        rwc.compile("nope.rw")


def test_load_reads_bytes_and_files_and_refuses_garbage(tmp_path):
    program = rwc.compile(example("office.rw"))
    path = tmp_path / "office.rwc"
    program.save(path)
    assert rwc.load(path).to_bytes() == program.to_bytes()
    assert rwc.load(program.to_bytes()).schema() == program.schema()
    with pytest.raises(rwc.LoadError, match="not an rw artifact"):
        rwc.load(b"definitely not an artifact, but long enough to have a header")
    corrupt = bytearray(program.to_bytes())
    corrupt[-1] ^= 0xFF
    with pytest.raises(rwc.LoadError, match="checksum"):
        rwc.load(bytes(corrupt))


def test_schema_describes_inputs_params_and_outputs():
    schema = rwc.compile(example("constrained_rlhf.rw")).schema()
    assert [i["name"] for i in schema["inputs"]] == ["helpfulness", "toxicity"]
    assert schema["inputs"][0]["range"] == {"lo": 0.0, "hi": 1.0, "inclusive": True}
    assert [o["name"] for o in schema["outputs"]] == ["reward", "toxicity_level"]
    assert len(schema["constraints"]) == 1


def test_evaluate_matches_the_w2_definition(grpo):
    inputs, group = w2_batch(4096)
    out = grpo.evaluate(inputs, group=group)
    assert out["reward"].dtype == np.float32 and out["reward"].shape == (4096,)
    np.testing.assert_allclose(out["reward"], w2_reference(inputs, group), rtol=0, atol=1e-5)
    assert set(out["logs"]) == {"group_accuracy", "checklist_score"}
    assert out["episode_end"].all()


def test_group_keys_may_be_any_hashable_and_are_only_compared_for_equality(grpo):
    inputs, group = w2_batch(64)
    by_int = grpo.evaluate(inputs, group=group)["reward"]
    by_text = grpo.evaluate(inputs, group=[f"prompt {g}" for g in group])["reward"]
    by_negative = grpo.evaluate(inputs, group=-7 - group)["reward"]
    assert by_int.tobytes() == by_text.tobytes() == by_negative.tobytes()


def test_contiguous_arrays_of_the_declared_dtype_are_read_in_place(grpo):
    from rwc import _convert, _Input

    f32 = np.arange(10, dtype=np.float32)
    assert np.shares_memory(_convert(_Input("x", "f32", 0, None), f32, 10), f32)
    f64 = np.arange(10, dtype=np.float64)
    assert not np.shares_memory(_convert(_Input("x", "f32", 0, None), f64, 10), f64)
    flags = np.ones((10, 8), dtype=bool)
    assert np.shares_memory(_convert(_Input("c", "bool", 8, None), flags, 10), flags)
    strided = np.arange(20, dtype=np.float32)[::2]
    assert not np.shares_memory(_convert(_Input("x", "f32", 0, None), strided, 10), strided)
    # Converted inputs give the same rewards as the declared dtypes.
    inputs, group = w2_batch(256)
    converted = dict(inputs, ref=inputs["ref"].astype(np.float64), length=inputs["length"].astype(np.int64))
    assert grpo.evaluate(converted, group=group)["reward"].tobytes() == grpo.evaluate(inputs, group=group)["reward"].tobytes()


def test_params_are_set_per_call():
    program = rwc.compile("spec p\ninput x: f32 in -10.0..=10.0\nparam scale: f32 in 0.0..=4.0 = 2.0\nreward = scale * x\n")
    x = np.array([1.0, 2.0], dtype=np.float32)
    assert program.evaluate({"x": x})["reward"].tolist() == [2.0, 4.0]
    assert program.evaluate({"x": x}, params={"scale": 0.5})["reward"].tolist() == [0.5, 1.0]
    with pytest.raises(ValueError, match="unknown param `scal`"):
        program.evaluate({"x": x}, params={"scal": 1.0})


def test_checklists_take_offsets_or_pairs_per_lane():
    program = rwc.compile(example("longform_acerl.rw"))
    per_lane = [[(2.0, 1.0), (1.0, 0.0)], [(1.0, 1.0)], []]
    offsets = (np.array([0, 2, 3, 3]), np.array([2.0, 1.0, 1.0]), np.array([1.0, 0.0, 1.0]))
    common = {"formal": [True, False, True], "cites": [1.0, 0.5, 0.0], "length": [100, 200, 300]}
    a = program.evaluate(dict(common, checks=per_lane))
    b = program.evaluate(dict(common, checks=offsets))
    assert a["reward"].tobytes() == b["reward"].tobytes()
    np.testing.assert_allclose(a["logs"]["checklist"][:2], [2 / 3, 1.0], rtol=1e-6)


def test_programs_pickle_as_their_artifact(grpo):
    clone = pickle.loads(pickle.dumps(grpo))
    assert clone.to_bytes() == grpo.to_bytes()
    inputs, group = w2_batch(128)
    assert clone.evaluate(inputs, group=group)["reward"].tobytes() == grpo.evaluate(inputs, group=group)["reward"].tobytes()
    assert len(pickle.dumps(grpo)) < len(grpo.to_bytes()) + 200


def _score_in_child(program, inputs, group):
    return program.evaluate(inputs, group=group)["reward"]


def test_programs_cross_process_boundaries_with_spawn(grpo):
    import multiprocessing

    inputs, group = w2_batch(512)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        rewards = pool.starmap(_score_in_child, [(grpo, inputs, group)] * 2)
    expected = grpo.evaluate(inputs, group=group)["reward"]
    for r in rewards:
        assert r.tobytes() == expected.tobytes()


def test_office_episodes_step_as_the_readme_shows():
    """The README's `rwc eval` table, through a two-lane batch: episode 1 in
    lane 0 (four steps), episode 2 in lane 1 (two steps, then inactive)."""
    program = rwc.compile(example("office.rw"))
    batch = program.batch(2)
    props = ["coffee", "mail", "office", "decoration"]
    steps = [([], ["coffee", "mail"]), (["coffee"], ["decoration"]), (["mail"], []), (["office"], [])]
    rewards, dones = [], []
    for t, labels in enumerate(steps):
        inputs = {p: np.array([p in labels[0], p in labels[1]]) for p in props}
        out = batch.step(inputs, active=[True, t < 2])
        rewards.append(out["reward"].tolist())
        dones.append(out["done"].tolist())
    assert [r[0] for r in rewards] == [np.float32(0.20000005), np.float32(0.20000005), np.float32(1.1), 2.0]
    assert [r[1] for r in rewards[:2]] == [np.float32(1.1), 0.0]
    assert [d[0] for d in dones] == [False, False, False, True]
    assert [d[1] for d in dones[:2]] == [False, True]
    # Both lanes ended their episodes and are back at the start.
    states = batch.automaton_states()["task"]
    start = program.schema()["automata"][0]["state_names"].index("idle")
    assert states.tolist() == [start, start]


@pytest.mark.parametrize("isa", ["scalar", "auto"])
def test_props_given_as_bits_of_label_bytes_step_as_bools_do(isa):
    """A labelling function's bitmask (one byte per lane, bit k for prop k)
    passed with `rwc.Bits` gives the rewards and states the same props as
    bool arrays give, over many lanes (the fast paths' blocks and their
    remainder)."""
    program = rwc.compile(example("office.rw"))
    props = ["coffee", "mail", "office", "decoration"]
    lanes = 200
    rng = np.random.default_rng(7)
    by_bools, by_bits = program.batch(lanes, isa=isa), program.batch(lanes, isa=isa)
    for _ in range(12):
        # Bits 4 to 7 are noise the spec never reads.
        labels = rng.integers(0, 256, lanes, dtype=np.uint8) & np.uint8(0b11110111)
        bools = {p: (labels >> k & 1).astype(bool) for k, p in enumerate(props)}
        bits = {p: rwc.Bits(labels, k) for k, p in enumerate(props)}
        a, b = by_bools.step(bools), by_bits.step(bits)
        assert a["reward"].tobytes() == b["reward"].tobytes()
        assert (a["done"] == b["done"]).all()
    assert (by_bools.automaton_states()["task"] == by_bits.automaton_states()["task"]).all()


def test_bits_are_checked():
    program = rwc.compile(example("office.rw"))
    batch = program.batch(3)
    labels = np.zeros(3, dtype=np.uint8)
    ok = {p: rwc.Bits(labels, k) for k, p in enumerate(["coffee", "mail", "office", "decoration"])}
    with pytest.raises(rwc.InputError, match="from 0 to 7, not 8"):
        rwc.Bits(labels, 8)
    with pytest.raises(rwc.InputError, match="1-D uint8 array of label bytes; got dtype int64"):
        batch.step({**ok, "coffee": rwc.Bits(np.zeros(3, dtype=np.int64), 0)})
    with pytest.raises(rwc.InputError, match="has 2 lanes; the other inputs have 3"):
        batch.step({**ok, "mail": rwc.Bits(np.zeros(2, dtype=np.uint8), 1)})
    grpo = rwc.compile(example("grpo_composite.rw"))
    inputs, group = w2_batch(3)
    with pytest.raises(rwc.InputError, match="cannot be given as `Bits`: only bool props can"):
        grpo.evaluate({**inputs, "length": rwc.Bits(labels, 0)}, group=group)
    # A bool input given as bits is fine in `evaluate` too.
    as_bits = grpo.evaluate({**inputs, "correct": rwc.Bits(inputs["correct"].astype(np.uint8), 0)}, group=group)
    assert as_bits["reward"].tobytes() == grpo.evaluate(inputs, group=group)["reward"].tobytes()


def test_reset_and_truncation_restart_episodes():
    program = rwc.compile(example("office.rw"))
    batch = program.batch(3)
    props = ["coffee", "mail", "office", "decoration"]
    coffee = {p: np.array([p == "coffee"] * 3) for p in props}
    batch.step(coffee)
    names = program.schema()["automata"][0]["state_names"]
    assert [names[s] for s in batch.automaton_states()["task"]] == ["got_coffee"] * 3
    batch.reset([True, False, False])
    batch.step(coffee, truncated=[False, True, False])
    assert [names[s] for s in batch.automaton_states()["task"]] == ["got_coffee", "idle", "got_coffee"]
    batch.reset()
    assert [names[s] for s in batch.automaton_states()["task"]] == ["idle"] * 3


def test_multipliers_update_at_the_end_of_a_batch():
    program = rwc.compile(example("constrained_rlhf.rw"))
    batch = program.batch(4)
    (name,) = batch.multipliers
    assert batch.multipliers[name] == 0.0
    batch.step({"helpfulness": np.full(4, 0.5), "toxicity": np.full(4, 0.7)})
    updated = batch.end_batch()
    # lambda = max(0, 0 + 0.01 * (0.7 - 0.2))
    assert updated[name] == pytest.approx(0.005, rel=1e-5)
    assert batch.multipliers == updated
    batch.set_multipliers({name: 0.5})
    assert batch.multipliers == {name: 0.5}
    with pytest.raises(ValueError, match="unknown constraint `nope`"):
        batch.set_multipliers({"nope": 1.0})
    param = program.schema()["params"][0]["name"]
    batch.set_param(param, 0.25)
    assert batch.get_param(param) == 0.25 and batch.params[param] == 0.25


def test_a_program_without_inputs_needs_lanes():
    with pytest.warns(rwc.CompileWarning, match="always 1.5"):
        program = rwc.compile("spec c\nreward = 1.5\n")
    assert program.evaluate({}, lanes=3)["reward"].tolist() == [1.5] * 3
    with pytest.raises(rwc.InputError, match="lanes="):
        program.evaluate({})


def test_evaluate_agrees_with_rwc_eval_on_a_shipped_trace():
    """The same rows through `rwc eval` (the CLI's trace contract) and
    through `evaluate` give the same f32 rewards and logs."""
    import json

    binary = rwc_binary()
    if binary is None:
        pytest.skip("no rwc binary (build it with `cargo build -p rwc`)")
    trace = os.path.join(os.path.dirname(example("x")), "traces", "trl.jsonl")
    cli = subprocess.run([binary, "eval", example("trl_reward.rw"), "--trace", trace, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    cli_rows = [json.loads(line) for line in cli.splitlines()]
    rows = [json.loads(line) for line in open(trace)]
    program = rwc.compile(example("trl_reward.rw"), warn=False)
    out = program.evaluate({name: [r[name] for r in rows] for name in program.input_names})
    assert out["reward"].tolist() == [np.float32(r["reward"]) for r in cli_rows]
    for name, values in out["logs"].items():
        assert values.tolist() == [np.float32(r[name]) for r in cli_rows], name


def test_every_evaluation_path_gives_the_same_bits(grpo):
    inputs, group = w2_batch(5000, seed=3)
    inputs["scores"][::7] = np.nan
    inputs["ref"][::11] = -np.inf
    reference = grpo.evaluate(inputs, group=group, isa="scalar", check_ranges=False)
    for isa in ["portable", "avx2", "avx512", "auto"]:
        try:
            out = grpo.evaluate(inputs, group=group, isa=isa, check_ranges=False)
        except ValueError as e:
            assert "not available on this CPU" in str(e)
            continue
        assert out["reward"].tobytes() == reference["reward"].tobytes(), isa
        for name in out["logs"]:
            assert out["logs"][name].tobytes() == reference["logs"][name].tobytes(), (isa, name)
    with pytest.raises(ValueError, match="unknown evaluation path `sse9`"):
        grpo.evaluate(inputs, group=group, isa="sse9")


def test_evaluate_calls_do_not_leak_state_into_each_other():
    """`evaluate` reuses evaluators; each call still starts fresh episodes
    with default params, even after a call that left episodes running."""
    program = rwc.compile("spec s\ninput x: f32 in 0.0..=10.0\nparam scale: f32 in 0.0..=4.0 = 2.0\nreward = scale * total(x)\n", warn=False)
    x = np.array([1.0, 2.0, 3.0], np.float32)
    first = program.evaluate({"x": x}, truncated=[False, False, False], params={"scale": 0.5})
    assert first["reward"].tolist() == [0.5, 1.0, 1.5]
    for _ in range(3):
        assert program.evaluate({"x": x})["reward"].tolist() == [2.0, 4.0, 6.0]


def test_evaluate_returns_the_discount_of_an_ltl_objective():
    # `discount = bozkurt_discount(objective, 0.99, 0.999)`: 0.99 on the
    # steps that complete a lap (visit `b` after `a`), 0.999 on the others.
    patrol = rwc.compile(example("patrol_ltl.rw"))
    assert [o["name"] for o in patrol.schema()["outputs"]] == ["reward", "done", "discount", "laps", "to_next_lap"]
    n = 4
    false = np.zeros(n, dtype=bool)
    inputs = {"at_a": np.array([True, False, True, False]), "at_b": np.array([False, True, False, True]),
              "collision": false, "low_battery": false, "at_charger": false}
    # Four lanes, one step each: no lane has completed a lap yet.
    out = patrol.evaluate(inputs)
    assert out["discount"].dtype == np.float32
    np.testing.assert_array_equal(out["discount"], np.full(n, np.float32(0.999)))
    # A spec without `discount` reports 1.
    office = rwc.compile(example("office.rw"))
    out = office.evaluate({"coffee": false, "mail": false, "office": false, "decoration": false})
    np.testing.assert_array_equal(out["discount"], np.ones(n, dtype=np.float32))
