"""TRL, verl and OpenRLHF, each called exactly as the trainer calls it.

The trainers are not installed (TRL and verl pull in torch and more); the
calling code below transcribes their reward loops: TRL's
`GRPOTrainer._calculate_rewards` (keywords only, dataset columns as lists,
`None` as NaN, weights per function, names from `__name__`), verl's naive
and batch reward managers, and OpenRLHF's remote reward function call.
"""

import multiprocessing
import pickle

import numpy as np
import pytest

import rwc
import rwc.openrlhf
import rwc.trl
import rwc.verl
from conftest import example, w2_batch, w2_reference


# --- TRL --------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.metrics, self.extra = {}, {}

    def log_metric(self, name, value):
        self.metrics[name] = value

    def log_extra(self, column, values):
        self.extra[column] = list(values)


def trl_calculate_rewards(reward_funcs, reward_weights, inputs, prompts, completions, completion_ids_list):
    """GRPOTrainer._calculate_rewards for custom (non-model) reward functions."""
    recorder = Recorder()
    keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
    reward_kwargs["trainer_state"] = object()
    rewards_per_func = np.zeros((len(prompts), len(reward_funcs)), dtype=np.float32)
    for i, reward_func in enumerate(reward_funcs):
        output_reward_func = reward_func(
            prompts=prompts,
            completions=completions,
            completion_ids=completion_ids_list,
            log_extra=recorder.log_extra,
            log_metric=recorder.log_metric,
            **reward_kwargs,
        )
        output_reward_func = [reward if reward is not None else np.nan for reward in output_reward_func]
        rewards_per_func[:, i] = output_reward_func
    names = [f.__name__ for f in reward_funcs]
    total = np.nansum(rewards_per_func * np.array(reward_weights, dtype=np.float32), axis=1)
    return names, rewards_per_func, total, recorder


def has_think(completion, **_):
    return "<think>" in completion and "</think>" in completion


def has_boxed(completion, **_):
    return "\\boxed{" in completion


def is_correct(completion, answer, **_):
    return f"\\boxed{{{answer}}}" in completion


def token_count(completion_ids, **_):
    return len(completion_ids)


TRL_BINDING = {"correct": is_correct, "think_tags": has_think, "boxed_answer": has_boxed, "length": token_count}


def trl_batch(conversational=False):
    prompts, completions, ids, inputs = [], [], [], []
    texts = [
        "<think>2+2</think> \\boxed{4}",
        "\\boxed{5}",
        "<think>long</think> \\boxed{4}",
        "no answer",
    ]
    lengths = [900, 3840, 4096, 10]
    for p in range(2):
        prompt = f"what is 2+{2 + p}?"
        for text, n in zip(texts, lengths):
            completion = [{"role": "assistant", "content": text}] if conversational else text
            prompts.append([{"role": "user", "content": prompt}] if conversational else prompt)
            completions.append(completion)
            ids.append(list(range(n)))
            inputs.append({"prompt": prompts[-1], "answer": str(4 + p), "completion": completion})
    return inputs, prompts, completions, ids


def trl_expected(texts_answers_lengths):
    out = []
    for text, answer, n in texts_answers_lengths:
        correct = 1.0 if f"\\boxed{{{answer}}}" in text else 0.0
        fmt = 0.2 if ("<think>" in text and "\\boxed{" in text) else -0.2
        overlong = 0.0 if n <= 4096 - 512 else (4096 - 512 - n) / 512
        out.append(correct + fmt + overlong)
    return np.array(out, dtype=np.float32)


@pytest.mark.parametrize("conversational", [False, True])
def test_trl_calls_the_reward_and_gets_every_log(conversational):
    funcs = rwc.trl.reward_funcs(example("trl_reward.rw"), TRL_BINDING)
    inputs, prompts, completions, ids = trl_batch(conversational)
    names, per_func, total, recorder = trl_calculate_rewards(funcs, [1.0], inputs, prompts, completions, ids)
    assert names == ["reward"]
    texts = [c if isinstance(c, str) else c[0]["content"] for c in completions]
    expected = trl_expected(zip(texts, [row["answer"] for row in inputs], map(len, ids)))
    np.testing.assert_allclose(total, expected, atol=1e-6)
    assert set(recorder.metrics) == {"correctness", "format", "length_penalty"}
    assert recorder.extra["correctness"] == [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]


def test_trl_components_have_distinct_names_and_weights_that_add_the_reward_once():
    funcs = rwc.trl.reward_funcs(example("trl_reward.rw"), TRL_BINDING, components="all", prefix="rw/")
    assert [f.__name__ for f in funcs] == ["rw/reward", "rw/correctness", "rw/format", "rw/length_penalty"]
    weights = rwc.trl.reward_weights(funcs)
    inputs, prompts, completions, ids = trl_batch()
    _, per_func, total, _ = trl_calculate_rewards(funcs, weights, inputs, prompts, completions, ids)
    np.testing.assert_allclose(total, per_func[:, 0])
    # The components add up to the reward (the spec says so).
    np.testing.assert_allclose(per_func[:, 1:].sum(axis=1), per_func[:, 0], atol=1e-6)


def test_trl_groups_completions_by_prompt():
    inputs_w2, _ = w2_batch(16, seed=3)
    prompts = [f"prompt {i // 8}" for i in range(16)]
    rows = [{"prompt": p, "correct": bool(c), "length": int(n), "checklist": list(k), "scores": list(s), "ref": float(r)}
            for p, c, n, k, s, r in zip(prompts, *[inputs_w2[k] for k in ["correct", "length", "checklist", "scores", "ref"]])]
    binding = {name: name for name in ["correct", "length", "checklist", "scores", "ref"]}
    funcs = rwc.trl.reward_funcs(example("grpo_composite.rw"), binding)
    completions = ["..."] * 16
    _, _, total, _ = trl_calculate_rewards(funcs, [1.0], rows, prompts, completions, [[0]] * 16)
    np.testing.assert_allclose(total, w2_reference(inputs_w2, np.arange(16) // 8), atol=1e-5)


def _call_in_child(funcs, kwargs):
    return [f(**kwargs) for f in funcs]


def test_trl_reward_functions_pickle_into_a_spawned_process():
    funcs = rwc.trl.reward_funcs(example("trl_reward.rw"), TRL_BINDING, components="all")
    clone = pickle.loads(pickle.dumps(funcs))
    assert [f.__name__ for f in clone] == [f.__name__ for f in funcs]
    inputs, prompts, completions, ids = trl_batch()
    kwargs = {"prompts": prompts, "completions": completions, "completion_ids": ids, "answer": [r["answer"] for r in inputs]}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        (child,) = pool.starmap(_call_in_child, [(funcs, kwargs)])
    assert child == _call_in_child(funcs, kwargs)


def test_trl_bindings_must_cover_the_inputs():
    with pytest.raises(rwc.InputError, match="input `length` has no binding"):
        rwc.trl.reward_funcs(example("trl_reward.rw"), {k: v for k, v in TRL_BINDING.items() if k != "length"})
    with pytest.raises(rwc.InputError, match="`lenght`, which is not an input"):
        rwc.trl.reward_funcs(example("trl_reward.rw"), dict(TRL_BINDING, lenght=token_count))
    funcs = rwc.trl.reward_funcs(example("trl_reward.rw"), dict(TRL_BINDING, correct="answer_ok"))
    inputs, prompts, completions, ids = trl_batch()
    with pytest.raises(rwc.InputError, match="bound to the field `answer_ok`, which the samples lack"):
        trl_calculate_rewards(funcs, [1.0], inputs, prompts, completions, ids)


# --- verl -------------------------------------------------------------------


def verl_binding():
    return {
        "correct": lambda solution_str, ground_truth, **_: f"\\boxed{{{ground_truth}}}" in solution_str,
        "think_tags": lambda solution_str, **_: "<think>" in solution_str,
        "boxed_answer": lambda solution_str, **_: "\\boxed{" in solution_str,
        "length": lambda solution_str, **_: len(solution_str),
    }


def test_verl_naive_manager_per_sample():
    """verl's NaiveRewardManager: one call per response, a dict with the same keys each time."""
    compute_score = rwc.verl.compute_score(example("trl_reward.rw"), verl_binding())
    reward_extra_info = {}
    rewards = []
    for text, gt in [("<think>x</think>\\boxed{4}", "4"), ("\\boxed{3}", "4")]:
        score = compute_score(data_source="gsm8k", solution_str=text, ground_truth=gt, extra_info={"index": 0})
        assert isinstance(score, dict)
        reward = score["score"]
        for key, value in score.items():
            reward_extra_info.setdefault(key, []).append(value)
        rewards.append(reward)
    assert rewards == pytest.approx([1.2, -0.2])
    assert set(reward_extra_info) == {"score", "correctness", "format", "length_penalty"}
    assert all(len(v) == 2 for v in reward_extra_info.values())


def test_verl_batch_manager_groups_by_index():
    inputs_w2, _ = w2_batch(16, seed=5)
    binding = {k: (lambda k: lambda extra_info, **_: extra_info[k])(k) for k in ["correct", "length", "checklist", "scores", "ref"]}
    compute_score = rwc.verl.compute_score(example("grpo_composite.rw"), binding)
    extras = np.array(
        [{"index": i // 8, **{k: inputs_w2[k][i] for k in binding}} for i in range(16)], dtype=object
    )
    data_sources = np.array(["w2"] * 16, dtype=object)
    scores = compute_score(data_sources=data_sources, solution_strs=["..."] * 16, ground_truths=["x"] * 16, extra_infos=extras)
    reward_tensor = np.zeros(16, dtype=np.float32)
    for i, score in enumerate(scores):
        reward_tensor[i] = score["score"] if isinstance(score, dict) else score
    np.testing.assert_allclose(reward_tensor, w2_reference(inputs_w2, np.arange(16) // 8), atol=1e-5)
    assert set(scores[0]) == {"score", "group_accuracy", "checklist_score"}


def test_verl_per_sample_form_refuses_group_terms():
    binding = {k: "extra_info" for k in ["correct", "length", "checklist", "scores", "ref"]}
    compute_score = rwc.verl.compute_score(example("grpo_composite.rw"), binding)
    with pytest.raises(rwc.InputError, match="reward_manager=batch"):
        compute_score("w2", "...", "x", {})


def test_verl_module_attribute_loads_like_custom_reward_function(tmp_path):
    """verl imports custom_reward_function.path and takes attribute `name`."""
    import importlib.util

    path = tmp_path / "my_reward.py"
    path.write_text(
        "import rwc.verl\n"
        f"compute_score = rwc.verl.compute_score({example('trl_reward.rw')!r}, inputs={{\n"
        "    'correct': lambda solution_str, ground_truth, **_: ground_truth in solution_str,\n"
        "    'think_tags': lambda solution_str, **_: '<think>' in solution_str,\n"
        "    'boxed_answer': lambda solution_str, **_: '\\\\boxed{' in solution_str,\n"
        "    'length': lambda solution_str, **_: len(solution_str),\n"
        "})\n"
    )
    spec = importlib.util.spec_from_file_location("custom_module", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, "compute_score")
    assert fn(data_source="d", solution_str="<think></think>\\boxed{7}", ground_truth="7")["score"] == pytest.approx(1.2)


# --- OpenRLHF ---------------------------------------------------------------


def test_openrlhf_reward_func_returns_rewards_scores_and_extra_logs():
    binding = {
        "correct": lambda response, label, **_: label in response,
        "think_tags": lambda response, **_: "<think>" in response,
        "boxed_answer": lambda response, **_: "\\boxed{" in response,
        "length": lambda response, **_: len(response),
    }
    reward_func = rwc.openrlhf.reward_func(example("trl_reward.rw"), binding, scores="correctness")
    prompts = ["Q1: ", "Q1: ", "Q2: "]
    queries = [p + r for p, r in zip(prompts, ["<think>a</think>\\boxed{4}", "\\boxed{5}", "none"])]
    labels = ["4", "4", "9"]
    out = reward_func(queries, prompts, labels)
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert np.asarray(out["rewards"]).tolist() == pytest.approx([1.2, -0.2, -0.2])
    assert np.asarray(out["scores"]).tolist() == [1.0, 0.0, 0.0]
    assert out["extra_logs"]["correctness"] == pytest.approx(1 / 3)
