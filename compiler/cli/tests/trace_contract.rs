//! The trace contract of `rwc eval` (docs/traces.md): interleaved episodes,
//! episode ends, groups, non-finite values, params and multipliers, and the
//! per-episode summary, each against a hand computation.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::needless_range_loop, clippy::neg_multiply)]

mod common;
use common::{rwc, temp, text};

/// Writes `spec` and `trace`, runs `rwc eval` with `extra` args and JSON
/// output; returns (exit code, rows, stderr).
fn eval(name: &str, spec: &str, trace: &str, extra: &[&str]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let spec_path = temp(&format!("{name}.rw"));
    let trace_path = temp(&format!("{name}.jsonl"));
    std::fs::write(&spec_path, spec).unwrap();
    std::fs::write(&trace_path, trace).unwrap();
    let mut args =
        vec!["eval", spec_path.to_str().unwrap(), "--trace", trace_path.to_str().unwrap(), "--format", "json"];
    args.extend(extra);
    let o = rwc(&args);
    // serde_json does not read the non-finite tokens: quote them.
    let rows = text(&o.stdout)
        .lines()
        .map(|l| {
            let l = l
                .replace(":-Infinity", ":\"-Infinity\"")
                .replace(":Infinity", ":\"Infinity\"")
                .replace(":NaN", ":\"NaN\"");
            serde_json::from_str(&l).unwrap_or_else(|e| panic!("{l}: {e}"))
        })
        .collect();
    (o.status.code(), rows, text(&o.stderr))
}

const COUNTER: &str = "props tick\nmachine m {\n  start u0\n  u0 -> u1 when tick reward 1\n  u1 -> u2 when tick reward 2\n  u2 -> u2 when tick reward 3\n}\nlog state = m.state\nreward = m.reward + steps\n";

#[test]
fn interleaved_episodes_evaluate_as_if_each_were_alone() {
    // Vector env of 3 envs: lines 1,2,3,1,2,3,... with different props.
    let mut interleaved = String::new();
    let mut alone: Vec<String> = vec![String::new(); 3];
    for t in 0..4 {
        for env in 0..3 {
            let tick = (t + env) % 2 == 0 || env == 2;
            let props = if tick { "[\"tick\"]" } else { "[]" };
            interleaved += &format!("{{\"episode\": {env}, \"props\": {props}}}\n");
            alone[env] += &format!("{{\"episode\": {env}, \"props\": {props}}}\n");
        }
    }
    let (code, rows, err) = eval("interleaved", COUNTER, &interleaved, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows.len(), 12);
    for (env, trace) in alone.iter().enumerate() {
        let (_, own, _) = eval(&format!("alone{env}"), COUNTER, trace, &[]);
        let mixed: Vec<&serde_json::Value> = rows.iter().filter(|r| r["episode"] == env).collect();
        assert_eq!(mixed.len(), own.len());
        for (t, (a, b)) in mixed.iter().zip(&own).enumerate() {
            assert_eq!(*a, b, "env {env} step {t}");
            assert_eq!(a["step"], t);
        }
    }
    // Rows keep the input order.
    let order: Vec<i64> = rows.iter().map(|r| r["episode"].as_i64().unwrap()).collect();
    assert_eq!(order, [0, 1, 2].repeat(4));
    // Env 2 ticks every step: rewards 1+0, 2+1, 3+2, 3+3.
    let env2: Vec<f64> = rows.iter().filter(|r| r["episode"] == 2).map(|r| r["reward"].as_f64().unwrap()).collect();
    assert_eq!(env2, [1.0, 3.0, 5.0, 6.0]);
}

#[test]
fn truncated_ends_an_episode_without_done_and_a_later_line_is_an_error() {
    let spec = "props g\nreward = steps\ndone when g\n";
    let (code, rows, err) = eval(
        "trunc",
        spec,
        "{\"episode\": 1, \"props\": []}\n{\"episode\": 1, \"props\": [], \"truncated\": true}\n{\"episode\": 2, \"props\": []}\n",
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    let steps: Vec<(i64, i64, bool)> = rows
        .iter()
        .map(|r| (r["episode"].as_i64().unwrap(), r["step"].as_i64().unwrap(), r["done"].as_bool().unwrap()))
        .collect();
    assert_eq!(steps, [(1, 0, false), (1, 1, false), (2, 0, false)], "truncation is not done");

    let (code, rows, err) = eval(
        "after_end",
        spec,
        "{\"episode\": 1, \"props\": []}\n{\"episode\": 1, \"props\": [], \"truncated\": true}\n{\"episode\": 1, \"props\": []}\n",
        &[],
    );
    assert_eq!(code, Some(1));
    assert_eq!(rows.len(), 2, "rows before the bad line are written");
    assert!(err.contains("episode 1 already ended at line 2 (it was marked `\"truncated\": true`)"), "{err}");
    assert!(err.contains("field `episode` of line 3"), "{err}");

    let (code, _, err) = eval(
        "after_done",
        spec,
        "{\"episode\": \"a\", \"props\": [\"g\"]}\n{\"episode\": \"a\", \"props\": []}\n",
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("episode \"a\" already ended at line 1 (its `done` held)"), "{err}");

    // Without ids the trace is one episode (`null`): a line after its end is an error.
    let (code, rows, err) = eval("unnamed", spec, "{\"props\": []}\n{\"props\": []}\n{\"props\": [\"g\"]}\n", &[]);
    assert_eq!(code, Some(0), "{err}");
    let ids: Vec<(bool, i64)> = rows.iter().map(|r| (r["episode"].is_null(), r["step"].as_i64().unwrap())).collect();
    assert_eq!(ids, [(true, 0), (true, 1), (true, 2)]);
    let (code, rows, err) = eval("unnamed_after", spec, "{\"props\": [\"g\"]}\n{\"props\": []}\n", &[]);
    assert_eq!((code, rows.len()), (Some(1), 1));
    assert!(err.contains("the trace gives no `episode` ids, so it is one episode, which ended at line 1"), "{err}");

    let (code, _, err) = eval("mixed", spec, "{\"episode\": 1, \"props\": []}\n{\"props\": []}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("some lines give `episode` and others do not"), "{err}");

    let (code, _, err) = eval("bad_trunc", spec, "{\"props\": [], \"truncated\": 1}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("`truncated` must be a JSON boolean, found `1`"), "{err}");
}

#[test]
fn group_terms_need_group_ids() {
    let spec = "input x: f32 in 0.0..=1.0\nreward = x - group_mean(x)\n";
    let (code, rows, err) = eval("nogroup", spec, "{\"episode\": 1, \"x\": 1}\n{\"episode\": 2, \"x\": 0}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(rows.is_empty());
    assert!(err.contains("this line has no `group`, and the spec has group terms"), "{err}");
    assert!(err.contains("give every line an `episode` id and a `group` id"), "{err}");
    let (code, _, err) = eval("noepisode", spec, "{\"group\": 1, \"x\": 1}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("this line has no `episode`"), "{err}");
    // Interleaved multi-step episodes in two groups: group terms see the
    // lanes of a group at the same step index.
    let trace = "{\"episode\": 1, \"group\": \"a\", \"x\": 1}\n{\"episode\": 2, \"group\": \"a\", \"x\": 0}\n{\"episode\": 3, \"group\": \"b\", \"x\": 0.5}\n{\"episode\": 2, \"group\": \"a\", \"x\": 0.5}\n{\"episode\": 1, \"group\": \"a\", \"x\": 0}\n";
    let (code, rows, err) = eval("groups", spec, trace, &[]);
    assert_eq!(code, Some(0), "{err}");
    let got: Vec<(i64, i64, f64)> = rows
        .iter()
        .map(|r| (r["episode"].as_i64().unwrap(), r["step"].as_i64().unwrap(), r["reward"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, [(1, 0, 0.5), (2, 0, -0.5), (3, 0, 0.0), (2, 1, 0.25), (1, 1, -0.25)]);
    let (code, _, err) = eval(
        "regroup",
        spec,
        "{\"episode\": 1, \"group\": 1, \"x\": 1}\n{\"episode\": 1, \"group\": 2, \"x\": 1}\n",
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("episode 1 changes its `group`"), "{err}");
}

#[test]
fn non_finite_values_in_and_out() {
    let spec = "input x: f32\ninput n: int\nreward = x * 2.0\nlog big = x * 1e30\n";
    let (code, rows, err) = eval(
        "nonfinite",
        spec,
        "{\"x\": Infinity, \"n\": 1}\n{\"x\": -Infinity, \"n\": 1}\n{\"x\": \"Infinity\", \"n\": 1}\n{\"x\": 1e10, \"n\": 1}\n",
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    let (spec_path, trace_path) = (temp("nonfinite.rw"), temp("nonfinite.jsonl"));
    let raw = text(
        &rwc(&["eval", spec_path.to_str().unwrap(), "--trace", trace_path.to_str().unwrap(), "--format", "json"])
            .stdout,
    );
    assert!(raw.lines().next().unwrap().contains("\"reward\":Infinity"), "{raw}");
    assert!(raw.lines().nth(1).unwrap().contains("\"reward\":-Infinity"), "{raw}");
    assert_eq!(rows[2]["reward"], "Infinity", "a quoted \"Infinity\" input reads as infinity");
    assert_eq!(rows[3]["big"], "Infinity", "1e10 * 1e30 overflows f32");
    // Python reads every format back.
    let python = "import json, sys, csv, io\nrows = [json.loads(l) for l in sys.argv[1].splitlines()]\nassert rows[0]['reward'] == float('inf') and rows[1]['reward'] == float('-inf'), rows\nc = list(csv.DictReader(io.StringIO(sys.argv[2])))\nassert float(c[1]['reward']) == float('-inf'), c\nprint('ok')";
    let csv = text(
        &rwc(&["eval", spec_path.to_str().unwrap(), "--trace", trace_path.to_str().unwrap(), "--format", "csv"]).stdout,
    );
    match std::process::Command::new("python3").args(["-c", python, &raw, &csv]).output() {
        Ok(out) => assert_eq!(text(&out.stdout).trim(), "ok", "{}", text(&out.stderr)),
        Err(e) => eprintln!("skipped reading the output back in Python: {e}"),
    }
    assert_eq!(csv.lines().nth(2), Some("null,1,-Infinity,false,-Infinity"));

    // NaN where the range excludes it, and in int and bool fields.
    let (code, _, err) = eval("nan_range", "input x: f32 in 0.0..=1.0\nreward = x\n", "{\"x\": NaN}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("`x` is NaN, outside its declared range 0..=1"), "{err}");
    let (code, _, err) = eval("nan_int", spec, "{\"x\": 1, \"n\": NaN}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("`n` must be a JSON integer, found NaN"), "{err}");
    assert!(err.contains("NaN and Infinity are values of `f32` inputs only"), "{err}");
    let (code, _, err) =
        eval("nan_bool", "input b: bool\nreward = if b then 1.0 else 0.0\n", "{\"b\": -Infinity}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("`b` must be a JSON boolean, found -Infinity"), "{err}");
    // A NaN input that reaches the reward stops with the place in the spec.
    let (code, _, err) = eval("nan_out", spec, "{\"x\": NaN, \"n\": 1}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("output `reward` is NaN"), "{err}");
    // `NaN` inside a string is text, not a number.
    let (code, _, err) = eval("nan_text", "props a\nreward = 0.0\n", "{\"props\": [\"NaN\"]}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown prop `NaN`"), "{err}");
}

#[test]
fn params_are_set_by_name_and_checked() {
    let spec = "param scale: f32 in 0.0..=10.0 = 1.0\nparam bonus: int = 0\nparam on: bool = true\ninput x: f32\nreward = (if on then scale * x else 0.0) + bonus\n";
    let trace = "{\"x\": 2}\n";
    let (code, rows, err) = eval("params", spec, trace, &["--param", "scale=2.5", "--param", "bonus=3"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows[0]["reward"], 8.0);
    let (_, rows, _) = eval("params", spec, trace, &["--param", "on=false"]);
    assert_eq!(rows[0]["reward"], 0.0);
    for (arg, message) in [
        ("scal=1", "unknown param `scal`"),
        ("scal=1", "did you mean `scale`?"),
        ("scale=11", "param `scale` is 11, outside its declared range 0..=10"),
        ("scale=abc", "param `scale` is an f32: `abc` is not a number"),
        ("bonus=1.5", "param `bonus` is an int: `1.5` is not one"),
        ("on=1", "param `on` is a bool: give `true` or `false`, not `1`"),
        ("scale", "`--param scale` needs the form NAME=VALUE"),
    ] {
        let (code, rows, err) = eval("params", spec, trace, &["--param", arg]);
        assert_eq!(code, Some(2), "{arg}");
        assert!(rows.is_empty());
        assert!(err.contains(message), "{arg}: {err}");
    }
}

/// Multipliers: the column shows what each step used; `--batch-episodes`
/// updates them after every N ended episodes, by hand.
#[test]
fn multipliers_update_after_each_batch_of_episodes() {
    let spec = "input cost: f32 in 0.0..=1.0\nconstraint cost <= 0.25 lagrange(lr 0.5)\nreward = 1.0\n";
    let trace = "{\"episode\": 1, \"cost\": 0.75}\n{\"episode\": 2, \"cost\": 0.25}\n{\"episode\": 1, \"cost\": 0.75, \"truncated\": true}\n{\"episode\": 2, \"cost\": 0.25, \"truncated\": true}\n{\"episode\": 3, \"cost\": 1, \"truncated\": true}\n";
    let (code, rows, err) = eval("lagrange", spec, trace, &["--batch-episodes", "2"]);
    assert_eq!(code, Some(0), "{err}");
    let lambdas: Vec<f64> = rows.iter().map(|r| r["lambda_cost"].as_f64().unwrap()).collect();
    // Batch 1 (episodes 1, 2): mean cost (0.75+0.25+0.75+0.25)/4 = 0.5, lambda = 0 + 0.5 * 0.25 = 0.125 after line 4.
    assert_eq!(lambdas, [0.0, 0.0, 0.0, 0.0, 0.125]);
    // Reward: 1 - lambda * (cost - 0.25).
    assert_eq!(rows[4]["reward"], 1.0 - 0.125 * 0.75);
    // Without --batch-episodes the multiplier keeps its value.
    let (_, rows, _) = eval("lagrange", spec, trace, &["--param", "lambda_cost=2"]);
    assert!(rows.iter().all(|r| r["lambda_cost"] == 2.0));
    let (code, _, err) = eval("lagrange", spec, trace, &["--batch-episodes", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`--batch-episodes` must be at least 1"), "{err}");
}

#[test]
fn summary_reports_each_episode() {
    let spec =
        "props g\ninput c: int in 0..=10\nreward = if g then 1.0 else -0.25\nlog cost = c\nlog hit = g\ndone when g\n";
    let trace = "{\"episode\": \"a\", \"props\": [], \"c\": 2}\n{\"episode\": \"b\", \"props\": [], \"c\": 1}\n{\"episode\": \"a\", \"props\": [\"g\"], \"c\": 3}\n{\"episode\": \"c\", \"props\": [], \"c\": 0, \"truncated\": true}\n{\"episode\": \"b\", \"props\": [], \"c\": 4}\n";
    let (code, rows, err) = eval("summary", spec, trace, &["--summary"]);
    assert_eq!(code, Some(0), "{err}");
    let got: Vec<(String, u64, f64, String, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["episode"].as_str().unwrap().to_string(),
                r["length"].as_u64().unwrap(),
                r["return"].as_f64().unwrap(),
                r["end"].as_str().unwrap().to_string(),
                r["cost"].as_i64().unwrap(),
                r["hit"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a".into(), 2, 0.75, "done".into(), 5, 1),
            ("c".into(), 1, -0.25, "truncated".into(), 0, 0),
            ("b".into(), 2, -0.5, "end of trace".into(), 5, 0),
        ]
    );
}

/// Shaping on each kind of step (docs/language.md, "Potential-based
/// shaping"), by hand: a machine potential and a potential over an input,
/// on first, ordinary, done and truncated steps and after a reset.
#[test]
fn potential_shaping_pays_the_documented_amounts() {
    let machine = "props coffee, office\nmachine task {\n  start u0\n  u0 -> u1 when coffee\n  u1 -> goal when office reward 1\n  terminal goal\n}\nreward = task.reward\nshape potential = -task.distance gamma 0.9\ndone when task.terminal\n";
    // distance: u0 2, u1 1, goal 0; P_(-1) = -2.
    let trace = "{\"episode\": \"A\", \"props\": [\"coffee\"]}\n{\"episode\": \"A\", \"props\": []}\n{\"episode\": \"A\", \"props\": [\"office\"]}\n{\"episode\": \"B\", \"props\": []}\n{\"episode\": \"B\", \"props\": [\"coffee\"], \"truncated\": true}\n{\"episode\": \"C\", \"props\": [\"coffee\"]}\n";
    let (code, rows, err) = eval("shape_machine", machine, trace, &[]);
    assert_eq!(code, Some(0), "{err}");
    let g = 0.9f32;
    let expected = [
        g * -1.0 - -2.0,        // first step: u0 -> u1, from P_(-1) = P(u0)
        g * -1.0 - -1.0,        // ordinary step, stays in u1
        1.0 + (g * 0.0 - -1.0), // done: P_t counts as 0; the machine pays 1
        g * -2.0 - -2.0,        // a new episode starts from P(u0) again
        g * -1.0 - -2.0,        // truncated: P_t keeps its value
        g * -1.0 - -2.0,        // after the truncated episode: from P(u0)
    ];
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(row["reward"].as_f64().map(|r| r as f32), Some(want), "{row}");
    }
    assert_eq!(rows.len(), 6);

    let input =
        "input dist: f32 in 0.0..=10.0\nreward = 0.0\nshape potential = -dist gamma 0.5\ndone when dist == 0.0\n";
    // P_(-1) = -0 = 0: no input is observed before the first step.
    let trace = "{\"episode\": 1, \"dist\": 4}\n{\"episode\": 1, \"dist\": 2}\n{\"episode\": 1, \"dist\": 1, \"truncated\": true}\n{\"episode\": 2, \"dist\": 3}\n{\"episode\": 2, \"dist\": 0}\n";
    let (code, rows, err) = eval("shape_input", input, trace, &[]);
    assert_eq!(code, Some(0), "{err}");
    let got: Vec<f64> = rows.iter().map(|r| r["reward"].as_f64().unwrap()).collect();
    assert_eq!(got, [0.5 * -4.0 - 0.0, 0.5 * -2.0 + 4.0, 0.5 * -1.0 + 2.0, 0.5 * -3.0 - 0.0, 0.0 + 3.0]);
    // A range without 0: the low end.
    let (_, rows, _) = eval(
        "shape_low",
        "input d: f32 in 1.0..=10.0\nreward = 0.0\nshape potential = d gamma 1\n",
        "{\"d\": 5}\n",
        &[],
    );
    assert_eq!(rows[0]["reward"], 4.0);

    // `shape term` pays the term as written; `prev(x, d)` is d on the first step of each episode.
    let term = "input dist: f32 in 0.0..=10.0\nreward = 0.0\nshape term = prev(dist, 0.0) - 0.5 * dist gamma 0.5\n";
    let (_, rows, _) = eval(
        "shape_term",
        term,
        "{\"episode\": 1, \"dist\": 4}\n{\"episode\": 1, \"dist\": 2, \"truncated\": true}\n{\"episode\": 2, \"dist\": 6}\n",
        &[],
    );
    let got: Vec<f64> = rows.iter().map(|r| r["reward"].as_f64().unwrap()).collect();
    assert_eq!(got, [0.0 - 2.0, 4.0 - 1.0, 0.0 - 3.0]);
}

/// An episode whose lines stop without `done` or `truncated` ends with the
/// trace, as a truncation would: a G-RA spec (which pays at the episode's
/// end) gives the same rows as with an explicit `"truncated": true`, for
/// interleaved episodes too.
#[test]
fn the_trace_end_truncates_open_episodes() {
    let spec = "input ok: bool\ninput x: f32 in 0.0..=1.0\nreward = gated(ok) { x }\nlog ended = episode_end\n";
    let lines = [(1, true, 0.25), (2, true, 0.5), (1, true, 0.5), (2, false, 0.25), (1, true, 0.125)];
    let write = |mark_last: bool| -> String {
        let mut text = String::new();
        for (k, (ep, ok, x)) in lines.iter().enumerate() {
            let last = lines[k + 1..].iter().all(|(e, _, _)| e != ep);
            let truncated = if mark_last && last { ", \"truncated\": true" } else { "" };
            text += &format!("{{\"episode\": {ep}, \"ok\": {ok}, \"x\": {x}{truncated}}}\n");
        }
        text
    };
    let (code, implicit, err) = eval("trace_end", spec, &write(false), &[]);
    assert_eq!(code, Some(0), "{err}");
    let (_, explicit, _) = eval("trace_end_marked", spec, &write(true), &[]);
    assert_eq!(implicit, explicit);
    // Episode 1 pays its sum 0.875 on its last line; episode 2's gate closed.
    let rewards: Vec<f64> = implicit.iter().map(|r| r["reward"].as_f64().unwrap()).collect();
    assert_eq!(rewards, [0.0, 0.0, 0.0, 0.0, 0.875]);
    let ended: Vec<bool> = implicit.iter().map(|r| r["ended"].as_bool().unwrap()).collect();
    assert_eq!(ended, [false, false, false, true, true]);
    // Rows keep the input order although lines 1-3 waited for their episodes' next lines.
    let order: Vec<i64> = implicit.iter().map(|r| r["episode"].as_i64().unwrap()).collect();
    assert_eq!(order, [1, 2, 1, 2, 1]);
    let (_, summary, _) = eval("trace_end", spec, &write(false), &["--summary"]);
    let ends: Vec<&str> = summary.iter().map(|r| r["end"].as_str().unwrap()).collect();
    assert_eq!(ends, ["end of trace", "end of trace"]);
}

/// One name per format: `--format json` (JSON Lines), with `jsonl` as its alias.
#[test]
fn json_and_its_jsonl_alias_print_the_same() {
    let args = |format: &'static str| {
        ["eval", "examples/office.rw", "--trace", "examples/traces/office.jsonl", "--format", format]
    };
    let (json, jsonl) = (rwc(&args("json")), rwc(&args("jsonl")));
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    assert_eq!(json.stdout, jsonl.stdout);
    assert_eq!(text(&json.stdout).lines().count(), 6);
}
