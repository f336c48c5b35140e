//! `rwc compile / inspect / eval / import rm / dot` as users run them.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
use common::{rwc, temp, text};

#[test]
fn compile_writes_an_artifact_that_inspect_and_eval_read() {
    let out = temp("office.rwc");
    let o = rwc(&["compile", "examples/office.rw", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with(&format!("wrote {}", out.display())));

    let o = rwc(&["inspect", "--format", "json", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["spec"], "office_delivery");
    let automaton = &schema["automata"][0];
    assert_eq!(automaton["name"], "task");
    assert_eq!(automaton["kind"], "machine");
    assert_eq!((automaton["states"].as_u64(), automaton["edges"].as_u64()), (Some(6), Some(10)));
    assert_eq!((automaton["terminal"].as_u64(), automaton["accepting"].as_u64()), (Some(2), Some(1)));
    // The automaton itself: state names, start, terminal states, edges.
    assert_eq!(automaton["start"], "idle");
    assert_eq!(automaton["state_names"][4], "delivered");
    assert_eq!(automaton["terminal_states"], serde_json::json!(["delivered", "broken"]));
    assert_eq!(automaton["transitions"].as_array().unwrap().len(), 10);
    let paying: Vec<(&str, &str)> = automaton["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["pays"] == true)
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert!(paying.contains(&("got_both", "delivered")), "{paying:?}");
    let inputs: Vec<&str> = schema["inputs"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["coffee", "mail", "office", "decoration"]);

    // The artifact and the source give the same evaluation.
    let trace = "examples/traces/office.jsonl";
    let from_artifact = rwc(&["eval", out.to_str().unwrap(), "--trace", trace]);
    let from_source = rwc(&["eval", "examples/office.rw", "--trace", trace]);
    assert_eq!(from_artifact.status.code(), Some(0), "{}", text(&from_artifact.stderr));
    assert_eq!(from_artifact.stdout, from_source.stdout);
}

/// The office example's rewards, computed by hand: `task.reward` plus the
/// potential-based term `0.9 * P_t - P_(t-1)` with `P = -task.distance`
/// (idle 2, got_coffee 2, got_both 1, delivered 0; P_t = 0 on a done step;
/// P_(-1) is the start state's potential).
#[test]
fn eval_of_the_office_trace_matches_a_hand_computation() {
    let o = rwc(&["eval", "examples/office.rw", "--trace", "examples/traces/office.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let f = |x: f32| f64::from(x);
    let expected = [
        // (episode, step, reward, done, steps_to_goal)
        (1, 0, f(0.9f32 * -2.0 + 2.0), false, 2),  // stays idle
        (1, 1, f(0.9f32 * -2.0 + 2.0), false, 2),  // coffee
        (1, 2, f(-0.9f32 + 2.0), false, 1),        // mail: got both
        (1, 3, f(1.0f32 + (0.0 + 1.0)), true, 0),  // office: delivered, pays 1, P_t = 0
        (2, 0, f(-0.9f32 + 2.0), false, 1),        // coffee and mail at once
        (2, 1, f(-1.0f32 + (0.0 + 1.0)), true, 6), // decoration: -1, no goal reachable
    ];
    assert_eq!(rows.len(), expected.len());
    for (row, (episode, step, reward, done, distance)) in rows.iter().zip(expected) {
        assert_eq!(row["episode"], episode);
        assert_eq!(row["step"], step);
        assert_eq!(row["reward"].as_f64().map(|r| r as f32), Some(reward as f32), "{row}");
        assert_eq!(row["done"], done);
        assert_eq!(row["steps_to_goal"], distance);
    }
    // Same columns as CSV.
    let csv = rwc(&["eval", "examples/office.rw", "--trace", "examples/traces/office.jsonl", "--format", "csv"]);
    let csv = text(&csv.stdout);
    assert_eq!(csv.lines().next(), Some("episode,step,reward,done,steps_to_goal"));
    assert_eq!(csv.lines().count(), 7);
}

#[test]
fn bad_trace_lines_name_the_line_and_field() {
    let trace = temp("bad.jsonl");
    std::fs::write(&trace, "{\"props\": [\"coffee\"]}\n{\"props\": [\"cofee\"]}\n").unwrap();
    let o = rwc(&["eval", "examples/office.rw", "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("[RW0601] Error: bad trace input: unknown prop `cofee`"), "{err}");
    assert!(err.contains("field `props` of line 2") && err.contains("did you mean `coffee`?"), "{err}");
    // Rows are written as lines are read: line 1's row, nothing past line 2.
    assert_eq!(text(&o.stdout).lines().count(), 1, "{}", text(&o.stdout));

    let cases = [
        ("{\"correct\": true, \"lenght\": 10, \"scores\": [1, 2, 3, 4], \"ref\": 0.5}", "unknown field `lenght`"),
        ("{\"correct\": true, \"scores\": [1, 2, 3, 4], \"ref\": 0.5}", "missing input `length`"),
        ("{\"correct\": true, \"length\": 1.5, \"scores\": [1, 2, 3, 4], \"ref\": 0.5}", "must be a JSON integer"),
        ("{\"correct\": true, \"length\": 9000, \"scores\": [1, 2, 3, 4], \"ref\": 0.5}", "outside its declared range"),
        ("{\"correct\": true, \"length\": 10, \"scores\": [1, 2], \"ref\": 0.5}", "an array of 4 values"),
        ("not json", "not valid JSON"),
    ];
    for (line, message) in cases {
        std::fs::write(&trace, format!("{line}\n")).unwrap();
        let o = rwc(&["eval", "examples/grpo_math.rw", "--trace", trace.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{line}");
        assert!(text(&o.stderr).contains(message), "{line}: {}", text(&o.stderr));
    }
}

#[test]
fn import_rm_keeps_state_numbers_and_semantics() {
    // The W1 office machine, as bench/gen_data.py writes it.
    let office = temp("office.rm");
    let edges = [
        (0, 0, "!e&!f&!n", 0),
        (0, 1, "e&!f&!n", 0),
        (0, 2, "!e&f&!n", 0),
        (0, 3, "e&f&!n", 0),
        (0, 5, "n", 0),
        (1, 1, "!f&!n", 0),
        (1, 3, "f&!n", 0),
        (1, 5, "n", 0),
        (2, 2, "!e&!n", 0),
        (2, 3, "e&!n", 0),
        (2, 5, "n", 0),
        (3, 3, "!g&!n", 0),
        (3, 4, "g&!n", 1),
        (3, 5, "n", 0),
    ];
    let mut rm_text = String::from("# office world\n0\n[4, 5]\n");
    for (from, to, guard, reward) in edges {
        rm_text += &format!("({from}, {to}, '{guard}', ConstantRewardFunction({reward}))\n");
    }
    std::fs::write(&office, rm_text).unwrap();
    let o = rwc(&["import", "rm", office.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let spec = text(&o.stdout);
    assert!(spec.contains("props e, f, g, n"));
    assert!(spec.contains("machine rm priority {"));
    // The original code merges terminal states 4 and 5, so state 3's edge
    // into 5 (line 17) replaces its edge into 4 (line 16) in place: the
    // import does the same, and says so.
    assert!(
        text(&o.stderr).contains("line 17: state 3 already has an edge into a terminal state (line 16)"),
        "{}",
        text(&o.stderr)
    );
    assert!(spec.contains("u3 -> u5 when n\n") && !spec.contains("u3 -> u4"), "{spec}");
    assert!(spec.contains("states u0, u1, u2, u3, u4, u5, u6"), "{spec}");
    assert!(spec.contains("u3 -> u6 when true"), "{spec}");
    assert!(spec.contains("terminal u4, u5, u6"));
    assert!(spec.contains("done when rm.terminal"));
    // The import checks, and the checker sees what the replacement did:
    // nothing reaches u4 any more.
    let file = temp("office_import.rw");
    std::fs::write(&file, &spec).unwrap();
    let checked = rwc(&["check", file.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0));
    assert!(text(&checked.stderr).contains("state `u4` of machine `rm` is unreachable"), "{}", text(&checked.stderr));

    // Gaps in the numbering become placeholder states; bad lines are reported.
    let rm = temp("gaps.rm");
    std::fs::write(
        &rm,
        "0\n[3]\n(0, 3, 'a&!b', ConstantRewardFunction(2.5))\n(0, 0, '!a|b', ConstantRewardFunction(0))\n",
    )
    .unwrap();
    let spec = text(&rwc(&["import", "rm", rm.to_str().unwrap()]).stdout);
    assert!(spec.contains("states u0, u1, u2, u3\n") && spec.contains("u0 -> u3 when a & !b reward 2.5"), "{spec}");
    std::fs::write(&rm, "0\n[3]\n(0, 3, 'a&!b', Reward(2))\n").unwrap();
    let o = rwc(&["import", "rm", rm.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("gaps.rm:3: unknown reward function `Reward`"), "{}", text(&o.stderr));
}

#[test]
fn dot_draws_machines_with_guards_and_rewards() {
    let o = rwc(&["dot", "examples/office.rw"]);
    assert_eq!(o.status.code(), Some(0));
    let dot = text(&o.stdout);
    assert!(dot.starts_with("digraph \"task\" {"));
    assert!(dot.contains("4 [label=\"delivered\" shape=doublecircle];"));
    assert!(dot.contains("3 -> 4 [label=\"office & !decoration / 1\"];"));
    assert!(dot.contains("__start -> 0;"));
    let o = rwc(&["dot", "examples/office.rw", "--automaton", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no automaton `nope`"));
}

#[test]
fn corrupt_artifacts_are_rejected_clearly() {
    let out = temp("corrupt.rwc");
    assert_eq!(rwc(&["compile", "examples/office.rw", "-o", out.to_str().unwrap()]).status.code(), Some(0));
    let mut bytes = std::fs::read(&out).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    let o = rwc(&["inspect", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("checksum mismatch"), "{}", text(&o.stderr));
}

#[test]
fn eval_reports_a_nan_with_the_place_it_came_from() {
    let spec = temp("nan.rw");
    std::fs::write(&spec, "input x: f32\nlet y = log(x)\nreward = y * 2.0\n").unwrap();
    let trace = temp("nan.jsonl");
    std::fs::write(&trace, "{\"x\": 1.0}\n{\"x\": -1.0}\n").unwrap();
    let o = rwc(&["eval", spec.to_str().unwrap(), "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("the step of line 2: output `reward` is NaN in lane 0"), "{err}");
    assert!(err.contains("nan.rw:2:9"), "the origin is `log(x)`: {err}");
}

/// Criteria (ragged and inline), vectors and group terms through `rwc eval`,
/// against values computed by hand in f32.
#[test]
fn eval_criteria_vectors_and_groups() {
    let trace = temp("longform.jsonl");
    std::fs::write(
        &trace,
        "{\"checks\": [{\"weight\": 1, \"verdict\": 1}, {\"weight\": 3, \"verdict\": 0}], \"formal\": true, \"cites\": 0.5, \"length\": 100}\n",
    )
    .unwrap();
    let o = rwc(&["eval", "examples/longform_acerl.rw", "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let row: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    let checks = 1.0f32 / 4.0; // (1*1 + 3*0) / 4
    let style = (2.0f32 * 1.0 + 1.0 * 0.5) / 3.0; // formal weight 2, cites weight 1
    let reward = 0.7f32 * checks + 0.3 * style; // overlong(100, 16384, 2048) = 0
    assert_eq!(row["reward"].as_f64().map(|r| r as f32), Some(reward));
    assert_eq!(
        (row["checklist"].as_f64(), &row["all_passed"], &row["failed_items"]),
        (Some(0.25), &serde_json::json!(false), &serde_json::json!(1))
    );

    // Two completions of one group: group accuracy 0.5, so LASER applies to both.
    std::fs::write(
        &trace,
        "{\"episode\": 1, \"group\": \"g\", \"correct\": true, \"length\": 100, \"scores\": [1, 1, 1, 1], \"ref\": 0}\n\
         {\"episode\": 2, \"group\": \"g\", \"correct\": false, \"length\": 100, \"scores\": [1, 1, 1, 1], \"ref\": 0}\n",
    )
    .unwrap();
    let o = rwc(&["eval", "examples/grpo_math.rw", "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let par = 1.0f32 / (1.0 + (-(1.0f32 - 0.5 * 0.0) + 0.0f32).exp()); // sigmoid(uwo4 - ref) with mean 1, var 0
    assert_eq!(rows[0]["reward"].as_f64().map(|r| r as f32), Some(1.0f32 + 0.5 + par));
    assert_eq!(rows[1]["reward"].as_f64().map(|r| r as f32), Some(0.5f32));
    assert_eq!(rows[0]["group_accuracy"].as_f64(), Some(0.5));
    assert_eq!(rows[1]["group_accuracy"].as_f64(), Some(0.5));
}

/// LTLf automaton-distance shaping by hand. `delivered = F (coffee & F office)`
/// has the minimal DFA: 0 (no coffee yet), 1 (coffee seen), 2 (accepting);
/// coffee and office in one step accept at once, so distance(0) = distance(1)
/// = 1 and distance(2) = 0. With `P = -delivered.distance` and gamma 0.99 the
/// shaping term is `0.99 * P_t - P_(t-1)`, `P_(-1) = P(start)`, and `P_t = 0`
/// on the done step.
#[test]
fn ltlf_distance_shaping_matches_a_hand_computation() {
    let trace = temp("delivery.jsonl");
    std::fs::write(
        &trace,
        "{\"props\": [], \"battery\": 0.5}\n{\"props\": [\"coffee\"], \"battery\": 0.5}\n{\"props\": [\"office\"], \"battery\": 0.5}\n",
    )
    .unwrap();
    let o = rwc(&["eval", "examples/delivery_ltlf.rw", "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let shaping = |now: f32, before: f32| 0.99f32 * now - before;
    let expected = [
        (0.0 + shaping(-1.0, -1.0), false, 1), // state 0
        (0.0 + shaping(-1.0, -1.0), false, 1), // coffee: state 1
        (1.0 + shaping(0.0, -1.0), true, 0),   // office: accepting, done
    ];
    for (row, (reward, done, distance)) in rows.iter().zip(expected) {
        assert_eq!(row["reward"].as_f64().map(|r| r as f32), Some(reward), "{row}");
        assert_eq!(row["done"], done);
        assert_eq!(row["to_go"], distance);
    }
    let dot = text(&rwc(&["dot", "examples/delivery_ltlf.rw", "--automaton", "delivered"]).stdout);
    assert!(dot.contains("2 [label=\"2\" shape=doublecircle];"), "{dot}");
    assert!(dot.contains("0 -> 2 [label=\"coffee & office\"];"), "{dot}");
}

#[test]
fn import_ltlf_rewrites_foreign_syntax() {
    let cases = [
        ("spot", "G(a -> X b)", "G (a -> WX b)"),
        ("spot", "[](a -> <>X[!] b)", "G (a -> F X b)"),
        ("lydia", "a & b U c", "(a & b) U c"),
        ("lydia", "tt U ff", "true U false"),
        ("flloat", "a -> b -> c", "(a -> b) -> c"),
    ];
    for (from, formula, expected) in cases {
        let o = rwc(&["import", "ltlf", "--from", from, formula]);
        assert_eq!(o.status.code(), Some(0), "{formula}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout).trim(), expected, "{from}: {formula}");
    }
    let o = rwc(&["import", "ltlf", "--from", "spot", "a & (b"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("at column 7: expected `)`"), "{}", text(&o.stderr));
}

#[test]
fn bench_ltlf_reports_its_json_line() {
    let corpus = temp("corpus_spot.txt");
    let o = rwc(&[
        "bench",
        "ltlf",
        "--count",
        "200",
        "--seed",
        "7",
        "--repeat",
        "1",
        "--emit-spot",
        corpus.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["bench"], "ltlf");
    assert_eq!(line["formulas"], 200);
    assert!(line["formulas_per_s"].as_f64().unwrap() > 0.0);
    assert!(line["max_ms"].as_f64().is_some() && line["total_states"].as_u64().unwrap() >= 400);
    // The same seed gives the same corpus.
    let again = rwc(&["bench", "ltlf", "--count", "200", "--seed", "7", "--repeat", "1"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["total_states"], line["total_states"]);
    assert_eq!(std::fs::read_to_string(&corpus).unwrap().lines().count(), 200);
}

#[test]
fn machine_guards_read_ltlf_formulas() {
    let spec = "tests/ui/ok/formula_in_guard.rw";
    let trace = temp("guard.jsonl");
    std::fs::write(&trace, "{\"props\": [\"office\"]}\n{\"props\": [\"coffee\"]}\n{\"props\": [\"office\"]}\n")
        .unwrap();
    let o = rwc(&["eval", spec, "--trace", trace.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(text(&o.stdout), "episode,step,reward,done\nnull,0,0,false\nnull,1,0,false\nnull,2,1,true\n");
    std::fs::write(&trace, "{\"props\": [\"decoration\"]}\n").unwrap();
    let o = rwc(&["eval", spec, "--trace", trace.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(text(&o.stdout), "episode,step,reward,done\nnull,0,-1,true\n");
}

/// A deliberately hard query (is there a cube that is the sum of two cubes?
/// Fermat says no, but proving it takes a solver a long time) with a tiny
/// time limit: `inconclusive`, quickly, and no guess either way.
#[test]
fn a_solver_timeout_is_inconclusive() {
    let spec = temp("fermat.rw");
    std::fs::write(
        &spec,
        "input x: int in 1..=1000000\ninput y: int in 1..=1000000\ninput z: int in 1..=1000000\n\
         machine m {\n  start u0\n  u0 -> goal when x * x * x + y * y * y == z * z * z    reward 1\n  terminal goal\n}\n\
         reward = m.reward\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let o = rwc(&["check", "--timeout-ms", "1", spec.to_str().unwrap()]);
    let elapsed = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "inconclusive is not an error: {}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("[RW0510] Warning: verification of machine `m` is inconclusive"), "{err}");
    assert!(!err.contains("RW0505") && !err.contains("RW0509"), "no verdict from a timed-out query: {err}");
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
}

#[test]
fn explain_reports_class_reason_and_bounds() {
    let o = rwc(&[
        "check",
        "--explain",
        "--format",
        "json",
        "examples/office.rw",
        "examples/carl_driving.rw",
        "examples/swe_agent_gra.rw",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let explain = |file: &str, output: &str| {
        lines
            .iter()
            .filter_map(|l| l.get("explain"))
            .find(|e| e["file"] == file && e["output"] == output)
            .cloned()
            .unwrap_or_else(|| panic!("no explanation of {output} in {file}"))
    };
    let office = explain("examples/office.rw", "reward");
    assert_eq!((office["class"].as_str(), office["reason"].as_str()), (Some("finite-state"), Some("machine `task`")));
    // task.reward in [-1, 1] plus 0.9 * P_t - P_(t-1) with P = -distance in [-6, 0],
    // in the runtime's f32 arithmetic: 0.9f32 * -6 rounds to -5.3999996.
    assert_eq!(office["bounds"], serde_json::json!([-6.3999996, 7]));
    assert!(office.get("simplification").is_some());
    let carl = explain("examples/carl_driving.rw", "reward");
    assert_eq!((carl["class"].as_str(), &carl["bounds"]), (Some("markov"), &serde_json::json!([-1, 1])));
    let gra = explain("examples/swe_agent_gra.rw", "reward");
    assert_eq!((gra["class"].as_str(), &gra["bounds"]), (Some("episode-gated"), &serde_json::json!(["-inf", "inf"])));
    assert_eq!(lines.last().unwrap()["summary"]["files"], 3);
}

/// Mealy minimisation in the expressivity report: a machine whose states all
/// pay alike is Markov; one that minimises to fewer states says which merge.
#[test]
fn explain_simplifies_machines_that_minimise() {
    let spec = temp("minimise.rw");
    std::fs::write(
        &spec,
        "props a, b\ninput x: f32 in 0.0..=1.0\n\
         machine same {\n  start u0\n  u0 -> u1 when a reward x\n  u0 -> u0 when !a reward 0.5\n  u1 -> u0 when a reward x\n  u1 -> u1 when !a reward 0.5\n}\n\
         machine split {\n  start p0\n  p0 -> p1 when a reward 1\n  p0 -> p3 when !a & b\n  p1 -> p2 when b\n  p2 -> p1 when b\n  terminal p3\n}\n\
         reward = same.reward\nlog split_reward = split.reward\n",
    )
    .unwrap();
    let o = rwc(&["check", "--explain", "--format", "json", spec.to_str().unwrap()]);
    let lines: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let explain: Vec<&serde_json::Value> = lines.iter().filter_map(|l| l.get("explain")).collect();
    assert_eq!(explain[0]["class"], "markov");
    assert_eq!(
        explain[0]["simplification"],
        "all states of machine `same` pay alike: its reward is a function of the step's inputs"
    );
    assert_eq!(explain[1]["class"], "finite-state");
    assert_eq!(explain[1]["simplification"], "machine `split` minimises to 2 states for its reward: p1 = p3 = p2");
}

#[test]
fn bench_check_times_each_file() {
    let o = rwc(&["bench", "check", "--repeat", "2", "examples/office.rw", "examples/grpo_math.rw"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0]["bench"].as_str(), lines[0]["file"].as_str()), (Some("check"), Some("examples/office.rw")));
    assert!(lines[1]["best_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(lines[1]["diagnostics"], 0);
}

#[test]
fn explain_says_what_shaping_does() {
    let o = rwc(&["check", "--explain", "examples/office.rw"]);
    let out = text(&o.stdout);
    assert!(out.contains("shape potential `-task.distance` (gamma 0.9): potential-based by construction"), "{out}");
    assert!(out.contains("on a `done` step P_t counts as 0"), "{out}");
    assert!(out.contains("on a step that is last by truncation P_t keeps its value"), "{out}");
    assert!(out.contains("before an episode's first step P_(-1) is P with every machine in its start state"), "{out}");
    let spec = temp("terms.rw");
    std::fs::write(&spec, "input d: f32 in 0.0..=10.0\nreward = 0.0\nshape term = prev(d, 0.0) - 0.9 * d gamma 0.9\n")
        .unwrap();
    let out = text(&rwc(&["check", "--explain", spec.to_str().unwrap()]).stdout);
    assert!(out.contains("potential-based, with potential `-d`"), "{out}");
}

/// G-RA on a multi-turn agent (examples/swe_agent_gra.rw), by hand: the
/// per-step terms are withheld and paid at the episode end only when the
/// build passes and, inside that gate, the tests pass.
#[test]
fn gated_reward_accumulation_pays_only_when_the_gates_pass() {
    let o = rwc(&["eval", "examples/swe_agent_gra.rw", "--trace", "examples/traces/swe_agent.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let term = |tool: bool, edit: bool| (if tool { 0.05f32 } else { -0.05 }) + if edit { 0.1 } else { 0.0 };
    let cost = |tokens: i32| 0.0005f32 * tokens as f32 / 100.0;
    // Solved episode: the gates hold at the end (build ok, tests pass): pay the sum, plus the outcome bonus.
    let paid = term(true, false) + term(false, true) + term(true, true);
    let expected = [
        (0.0f32 + 0.0) - cost(100),
        (0.0f32 + 0.0) - cost(200),
        (0.0f32 + paid + 1.0) - cost(0),
        // Unsolved episode, truncated: the inner gate fails, nothing is paid.
        (0.0f32 + 0.0) - cost(0),
        (0.0f32 + 0.0) - cost(0),
    ];
    assert_eq!(rows.len(), 5);
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(row["reward"].as_f64().map(|r| r as f32), Some(want), "{row}");
    }
    assert_eq!(rows[2]["done"], true);
    assert_eq!(rows[4]["done"], false, "truncation is not done");
    // total(tool_ok) / (steps + 1): 1/1, 1/2, 2/3.
    let rates: Vec<f32> = rows[..3].iter().map(|r| r["tool_success_rate"].as_f64().unwrap() as f32).collect();
    assert_eq!(rates, [1.0, 0.5, 2.0 / 3.0]);
}

/// A TRL-style reward (correctness + format + length) in under 20 lines,
/// each component shown per completion.
#[test]
fn a_trl_reward_in_under_twenty_lines_shows_its_components() {
    let lines = std::fs::read_to_string(common::root().join("examples/trl_reward.rw")).unwrap().lines().count();
    assert!(lines < 20, "{lines} lines");
    let o = rwc(&["eval", "examples/trl_reward.rw", "--trace", "examples/traces/trl.jsonl", "--format", "csv"]);
    assert_eq!(
        text(&o.stdout),
        "episode,step,reward,done,correctness,format,length_penalty\n\
         1,0,1.2,false,1,0.2,0\n\
         2,0,0.3,false,1,-0.2,-0.5\n\
         3,0,-0.8,false,0,0.2,-1\n"
    );
}

/// `rwc bench ltlf --formulas FILE` takes formulas over any propositions,
/// and names the line of one that does not parse, with the reason.
#[test]
fn bench_ltlf_reads_formulas_over_any_props() {
    let file = temp("formulas.txt");
    std::fs::write(&file, "G (req -> F grant)\n\n// a comment\nsafe_zone U done_1\n").unwrap();
    let o = rwc(&["bench", "ltlf", "--formulas", file.to_str().unwrap(), "--repeat", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["formulas"], 2);
    std::fs::write(&file, "G (req -> F grant)\nG (a ->\n").unwrap();
    let o = rwc(&["bench", "ltlf", "--formulas", file.to_str().unwrap(), "--repeat", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("line 2: `G (a ->`: unclosed `(`"), "{}", text(&o.stderr));
}

#[test]
fn fmt_rewrites_in_place_checks_and_leaves_broken_files_alone() {
    let path = common::temp("fmt_me.rw");
    let messy = "props a,b\nmachine m {\nstart u\nu -> v when a reward 1\n  v -> u when b&!a\n}\nreward=m.reward\n";
    let canonical =
        "props a, b\nmachine m {\n  start u\n  u -> v when a reward 1\n  v -> u when b & !a\n}\nreward = m.reward\n";
    std::fs::write(&path, messy).unwrap();
    let p = path.to_str().unwrap();

    // --check changes nothing and fails.
    let out = common::rwc(&["fmt", "--check", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::text(&out.stdout).contains("would reformat"), "{}", common::text(&out.stdout));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), messy);

    // Without it the file is rewritten, keeping its permissions.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = common::rwc(&["fmt", p]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), canonical);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    let out = common::rwc(&["fmt", "--check", p]);
    assert_eq!(out.status.code(), Some(0));
    assert!(common::text(&out.stdout).is_empty());

    // Standard input to standard output.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rwc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(messy.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(common::text(&out.stdout), canonical);

    // A file that does not parse: its errors, exit 1, the file untouched.
    let broken = "reward = (1 +\n";
    std::fs::write(&path, broken).unwrap();
    let out = common::rwc(&["fmt", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::text(&out.stderr).contains("was not formatted"), "{}", common::text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);

    // A missing file is a usage error.
    assert_eq!(common::rwc(&["fmt", "no/such/file.rw"]).status.code(), Some(2));
}

/// The continuing-task example: `discount` is a column of `rwc eval` after
/// `done`, with the values the spec's `bozkurt_discount` gives on the
/// accepting steps; `inspect` lists it among the outputs.
#[test]
fn eval_prints_the_discount_of_the_patrol_example() {
    let o = rwc(&["eval", "examples/patrol_ltl.rw", "--trace", "examples/traces/patrol.jsonl", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("episode,step,reward,done,discount,laps,to_next_lap"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // A lap completes on the step that visits `b` after `a` (or both at
    // once): steps 2, 4 and 7, and both steps of episode 2; the charger
    // owed from step 3 delays no lap (Büchi acceptance asks for infinitely
    // many, not for every obligation met at each). The collision on step 7
    // ends the episode with -1.
    let laps: Vec<&str> = rows.iter().map(|r| r[5]).collect();
    assert_eq!(laps, ["0", "0", "1", "1", "2", "2", "2", "3", "1", "2"]);
    for row in &rows {
        let accepting_now = row[2] == "0.00999999";
        assert_eq!(row[4], if accepting_now { "0.99" } else { "0.999" }, "{row:?}");
    }
    assert_eq!(rows[7][2], "-1");
    assert_eq!(rows[7][3], "true");

    let artifact = temp("patrol.rwc");
    let o = rwc(&["compile", "examples/patrol_ltl.rw", "-o", artifact.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = rwc(&["inspect", "--format", "json", artifact.to_str().unwrap()]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outputs: Vec<&str> =
        schema["outputs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["reward", "done", "discount", "laps", "to_next_lap"]);
    assert_eq!(schema["automata"][0]["kind"], "ltl");
}

/// An `ltl` automaton written in HOA with Büchi acceptance and read back as
/// a machine pays on exactly the steps on which the formula took an
/// accepting transition. (A generalized export, as the example's `patrol`
/// has, pays where its degeneralization completes a round:
/// `a_generalized_buchi_automaton_exports_and_imports`.)
#[test]
fn hoa_export_and_import_round_trip_through_a_machine() {
    let o = rwc(&["dot", "--format", "hoa", "examples/patrol_ltl.rw", "--automaton", "patrol"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let hoa = text(&o.stdout);
    // `G F at_a & G F at_b & G (low_battery -> F at_charger)`: the response's
    // 2 states, a set for it and one per `G F`, as Spot writes it.
    assert!(hoa.contains("States: 2\n") && hoa.contains("Acceptance: 3 Inf(0)&Inf(1)&Inf(2)\n"), "{hoa}");
    let spec_file = temp("respond.rw");
    std::fs::write(
        &spec_file,
        "props at_a, at_b, collision, low_battery, at_charger\nltl respond = G (low_battery -> F at_charger)\n\
         reward = if respond.accepting then 1.0 else 0.0\n",
    )
    .unwrap();
    let o = rwc(&["dot", "--format", "hoa", spec_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let hoa = text(&o.stdout);
    assert!(hoa.starts_with("HOA: v1\n") && hoa.contains("Acceptance: 1 Inf(0)") && hoa.ends_with("--END--\n"));
    let file = temp("respond.hoa");
    std::fs::write(&file, &hoa).unwrap();
    let o = rwc(&["import", "hoa", file.to_str().unwrap(), "--name", "imported"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let module = text(&o.stdout);
    assert!(module.contains("machine imported"), "{module}");
    // A spec with both: the machine's reward and the formula's acceptance
    // agree on every step of the example's trace.
    let spec = module.replace("props low_battery, at_charger\n", "")
        + "props at_a, at_b, collision, low_battery, at_charger\n\
           ltl respond = G (low_battery -> F at_charger)\n\
           reward = if (imported.reward > 0.0) == respond.accepting then 1.0 else 0.0\n\
           log paid = respond.accepting\n";
    let spec_file = temp("round_trip.rw");
    std::fs::write(&spec_file, spec).unwrap();
    let o = rwc(&["eval", spec_file.to_str().unwrap(), "--trace", "examples/traces/patrol.jsonl", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<Vec<String>> =
        text(&o.stdout).lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r[2] == "1"), "{rows:?}");
    // Not trivially: the formula pays on some steps and not on others.
    let paid: Vec<&str> = rows.iter().map(|r| r.last().unwrap().as_str()).collect();
    assert!(paid.contains(&"true") && paid.contains(&"false"), "{paid:?}");
    // Machines have no acceptance condition to write.
    let o = rwc(&["dot", "--format", "hoa", "examples/office.rw", "--automaton", "task"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no acceptance condition"), "{}", text(&o.stderr));
}

/// `G F a & G F b` is exported as Spot exports it, one state with two
/// acceptance sets, and read back through its degeneralization (a level
/// per set): the machine pays where a round of both sets completes, `b`
/// after `a` or both at once.
#[test]
fn a_generalized_buchi_automaton_exports_and_imports() {
    let spec_file = temp("gfab.rw");
    std::fs::write(&spec_file, "props a, b\nltl both = G F a & G F b\nreward = if both.accepting then 1.0 else 0.0\n")
        .unwrap();
    let o = rwc(&["dot", "--format", "hoa", spec_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let hoa = text(&o.stdout);
    assert!(hoa.contains("States: 1\n") && hoa.contains("Acceptance: 2 Inf(0)&Inf(1)\n"), "{hoa}");
    let o = rwc(&["check", "--explain", spec_file.to_str().unwrap()]);
    assert!(text(&o.stdout).contains("exported as a generalized Büchi automaton of 1 state with 2 acceptance sets"));
    let file = temp("gfab.hoa");
    std::fs::write(&file, &hoa).unwrap();
    let o = rwc(&["import", "hoa", file.to_str().unwrap(), "--name", "imported"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let module = text(&o.stdout);
    let machine_file = temp("gfab_machine.rw");
    std::fs::write(&machine_file, module + "reward = imported.reward\n").unwrap();
    let trace_file = temp("gfab.jsonl");
    let steps = ["[\"a\"]", "[\"b\"]", "[\"a\", \"b\"]", "[]", "[\"b\"]", "[\"a\", \"b\"]"];
    std::fs::write(&trace_file, steps.iter().map(|p| format!("{{\"props\": {p}}}\n")).collect::<String>()).unwrap();
    let o = rwc(&["eval", machine_file.to_str().unwrap(), "--trace", trace_file.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rewards: Vec<String> =
        text(&o.stdout).lines().skip(1).map(|l| l.split(',').nth(2).unwrap().to_string()).collect();
    assert_eq!(rewards, ["0", "1", "1", "0", "0", "1"]);
}

/// A limit-deterministic automaton read back as a machine: its jumps become
/// guards on the int input `NAME_jump`, chosen as `jump` chooses for `ltl`,
/// so the machine pays exactly on the steps on which the formula, fed the
/// same choices, took an accepting transition.
#[test]
fn a_limit_deterministic_automaton_imports_with_its_jumps_as_an_input() {
    let spec = "props a, b\ninput pick: int\nltl stable = F G a | F G b jump pick\n\
                reward = if stable.accepting then 1.0 else 0.0\n";
    let spec_file = temp("stable.rw");
    std::fs::write(&spec_file, spec).unwrap();
    let o = rwc(&["dot", "--format", "hoa", spec_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let hoa = text(&o.stdout);
    assert!(hoa.contains("semi-deterministic"), "{hoa}");
    let file = temp("stable.hoa");
    std::fs::write(&file, &hoa).unwrap();
    let o = rwc(&["import", "hoa", file.to_str().unwrap(), "--name", "imported"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let module = text(&o.stdout);
    assert!(module.contains("input imported_jump: int\n") && module.contains("imported_jump == 1"), "{module}");
    // Both in one spec, on one choice input; the trace jumps at step 2 and
    // on a later step that offers no jump (ignored by both).
    let both = module.replace("input imported_jump: int\n", "")
        + "input imported_jump: int\nltl stable = F G a | F G b jump imported_jump\n\
           reward = if (imported.reward > 0.0) == stable.accepting then 1.0 else 0.0\n\
           log paid = imported.reward > 0.0\n";
    let both_file = temp("stable_both.rw");
    std::fs::write(&both_file, both).unwrap();
    let steps = [("[]", 0), ("[\"a\"]", 0), ("[\"a\"]", 1), ("[\"a\"]", 0), ("[\"a\", \"b\"]", 2), ("[\"a\"]", 0)];
    let trace: String =
        steps.iter().map(|(props, pick)| format!("{{\"props\": {props}, \"imported_jump\": {pick}}}\n")).collect();
    let trace_file = temp("stable.jsonl");
    std::fs::write(&trace_file, trace).unwrap();
    let o = rwc(&["eval", both_file.to_str().unwrap(), "--trace", trace_file.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<Vec<String>> =
        text(&o.stdout).lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), steps.len());
    assert!(rows.iter().all(|r| r[2] == "1"), "{rows:?}");
    // The jump at step 2 enters `G a`: the steps after it pay.
    let paid: Vec<&str> = rows.iter().map(|r| r.last().unwrap().as_str()).collect();
    assert_eq!(paid, ["false", "false", "false", "true", "true", "true"], "{rows:?}");
    // A nondeterministic automaton that is not limit-deterministic is refused.
    let nondeterministic = "HOA: v1\nStates: 2\nStart: 0\nAP: 1 \"a\"\nAcceptance: 1 Inf(0)\n--BODY--\n\
                            State: 0\n[t] 0 {0}\n[t] 1\nState: 1\n[0] 1 {0}\n[0] 0\n--END--\n";
    let file = temp("nondeterministic.hoa");
    std::fs::write(&file, nondeterministic).unwrap();
    let o = rwc(&["import", "hoa", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("neither deterministic nor limit-deterministic"), "{}", text(&o.stderr));
}
