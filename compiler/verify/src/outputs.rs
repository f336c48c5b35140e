//! What each output can be: verified bounds and its place in the
//! expressivity hierarchy (`rwc check --explain`).
//!
//! Bounds come from interval propagation over the declared ranges, which is
//! sound for every construct (automaton members from their tables, history
//! terms unbounded over an unbounded episode, ...) and records why an end is
//! infinite. When an output is Markov and its encoding exact, Z3's optimiser
//! then computes the exact minimum and maximum over the ranges, so the
//! interval is tight (`x - x` is 0, not `[-2r, 2r]`).
//!
//! The class is the most general of markov < finite-state < ltlf <
//! episode-gated < batch-dependent that the output's definition uses.

use crate::Options;
use crate::encode::{Encoder, Term};
use rw_compiler::diagnostic::{Diagnostic, code};
use rw_compiler::sema::{ConstValue, DeclId, DeclKind, Output, Program, Ty};
use rw_compiler::syntax::ast::{self, BinOp, Expr, ExprKind, ShapeKind, UnOp};
use std::collections::{BTreeSet, HashMap};
use z3::{Optimize, Params, SatResult};

/// A closed interval; infinite ends allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    fn point(v: f64) -> Interval {
        Interval { lo: v, hi: v }
    }
    fn all() -> Interval {
        Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY }
    }
    fn hull(self, o: Interval) -> Interval {
        Interval { lo: self.lo.min(o.lo), hi: self.hi.max(o.hi) }
    }
    fn is_zero(self) -> bool {
        self.lo == 0.0 && self.hi == 0.0
    }
    fn add(self, o: Interval) -> Interval {
        Interval { lo: self.lo + o.lo, hi: self.hi + o.hi }
    }
    fn neg(self) -> Interval {
        Interval { lo: -self.hi, hi: -self.lo }
    }
    fn mul(self, o: Interval) -> Interval {
        if self.is_zero() || o.is_zero() {
            return Interval::point(0.0);
        }
        // 0 * inf counts as 0: a zero factor keeps the product zero.
        let m = |a: f64, b: f64| if a == 0.0 || b == 0.0 { 0.0 } else { a * b };
        let c = [m(self.lo, o.lo), m(self.lo, o.hi), m(self.hi, o.lo), m(self.hi, o.hi)];
        Interval {
            lo: c.iter().copied().fold(f64::INFINITY, f64::min),
            hi: c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
    fn monotone(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval { lo: f(self.lo), hi: f(self.hi) }
    }
    pub fn is_bounded(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
}

/// One output, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    /// `reward` or `log NAME`.
    pub output: String,
    pub class: &'static str,
    pub reason: String,
    pub bounds: Interval,
    /// Inputs and params without a range that make the output unbounded.
    pub unranged: Vec<String>,
    pub simplification: Option<String>,
}

const CLASSES: [&str; 5] = ["markov", "finite-state", "ltlf", "episode-gated", "batch-dependent"];

struct Analysis<'p> {
    program: &'p Program,
    /// The most general class found, and the construct responsible.
    class: usize,
    reason: String,
    /// Machine members read, by machine.
    members: BTreeSet<(String, String)>,
    /// History (`prev`, `total`, `steps`) makes the output finite-state too.
    history: bool,
    unranged: BTreeSet<String>,
    memo: HashMap<DeclId, Interval>,
}

impl<'p> Analysis<'p> {
    fn raise(&mut self, class: usize, reason: String) {
        if class > self.class {
            self.class = class;
            self.reason = reason;
        }
    }

    fn range(&self, r: &Option<ast::RangeExpr>) -> Option<Interval> {
        let r = r.as_ref()?;
        let bound = |b: &ast::RangeBound| -> Option<f64> {
            let v = match &b.value {
                ast::BoundValue::Int(i) => *i as f64,
                ast::BoundValue::Float(f) => *f,
                ast::BoundValue::Const(c) => {
                    f64::from(self.program.consts.get(&self.program.lookup(&c.name)?)?.as_f32()?)
                }
            };
            Some(if b.negative { -v } else { v })
        };
        Some(Interval { lo: bound(&r.lo)?, hi: bound(&r.hi)? })
    }

    fn interval(&mut self, e: &Expr, env: &[(String, Interval)]) -> Interval {
        let p = self.program;
        match &e.kind {
            ExprKind::Int(v) => Interval::point(*v as f64),
            ExprKind::Float(v) => Interval::point(f64::from(*v as f32)),
            ExprKind::Bool(_) => Interval { lo: 0.0, hi: 1.0 },
            ExprKind::Paren(inner) => self.interval(inner, env),
            ExprKind::Name(n) => {
                if let Some((_, iv)) = env.iter().rev().find(|(x, _)| *x == n.name) {
                    return *iv;
                }
                let Some(id) = p.lookup(&n.name) else {
                    return match n.name.as_str() {
                        "steps" => {
                            self.history = true;
                            self.raise(1, "history (`steps`)".into());
                            Interval { lo: 0.0, hi: f64::INFINITY }
                        }
                        _ => Interval { lo: 0.0, hi: 1.0 },
                    };
                };
                match &p.decl(id).kind {
                    DeclKind::Prop => Interval { lo: 0.0, hi: 1.0 },
                    DeclKind::Input(i) => self.ranged(&n.name, &i.range, p.types.get(&id)),
                    DeclKind::Param(param) => self.ranged(&n.name, &param.range, p.types.get(&id)),
                    DeclKind::Multiplier(_) => Interval { lo: 0.0, hi: f64::INFINITY },
                    DeclKind::Const(_) => match p.consts.get(&id) {
                        Some(ConstValue::Int(i)) => Interval::point(f64::from(*i)),
                        Some(ConstValue::F32(f)) => Interval::point(f64::from(*f)),
                        _ => Interval { lo: 0.0, hi: 1.0 },
                    },
                    DeclKind::Let(l) => {
                        if let Some(iv) = self.memo.get(&id) {
                            return *iv;
                        }
                        self.memo.insert(id, Interval::all()); // recurrences through `prev`
                        let iv = self.interval(&l.value, &[]);
                        self.memo.insert(id, iv);
                        iv
                    }
                    _ => Interval::all(),
                }
            }
            ExprKind::Unary(UnOp::Neg, a) => self.interval(a, env).neg(),
            ExprKind::Unary(UnOp::Not, a) => {
                self.interval(a, env);
                Interval { lo: 0.0, hi: 1.0 }
            }
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.interval(a, env), self.interval(b, env));
                match op {
                    BinOp::Add => x.add(y),
                    BinOp::Sub => x.add(y.neg()),
                    BinOp::Mul => x.mul(y),
                    BinOp::Div => {
                        if y.lo <= 0.0 && y.hi >= 0.0 {
                            Interval::all()
                        } else {
                            x.mul(
                                Interval { lo: 1.0 / y.hi, hi: 1.0 / y.lo }
                                    .hull(Interval { lo: 1.0 / y.lo, hi: 1.0 / y.hi }),
                            )
                        }
                    }
                    _ => Interval { lo: 0.0, hi: 1.0 },
                }
            }
            ExprKind::Cond(c, a, b) => {
                self.interval(c, env);
                let (x, y) = (self.interval(a, env), self.interval(b, env));
                x.hull(y)
            }
            ExprKind::Call(f, args) => self.call(&f.name, args, env),
            ExprKind::Member(base, member, _) => {
                let ExprKind::Name(n) = &base.strip_parens().kind else { return Interval::all() };
                let Some(id) = p.lookup(&n.name) else { return Interval::all() };
                match &p.decl(id).kind {
                    DeclKind::Machine(m) => {
                        self.raise(1, format!("machine `{}`", n.name));
                        self.members.insert((n.name.clone(), member.name.clone()));
                        let states = p.machine_states.get(&id).map_or(1, Vec::len) as f64;
                        match member.name.as_str() {
                            "reward" => {
                                let mut iv = Interval::point(0.0);
                                for edge in &m.edges {
                                    if let Some(r) = &edge.reward {
                                        iv = iv.hull(self.interval(r, &[]));
                                    }
                                }
                                iv
                            }
                            "state" => Interval { lo: 0.0, hi: states - 1.0 },
                            "distance" => Interval { lo: 0.0, hi: states },
                            _ => Interval { lo: 0.0, hi: 1.0 },
                        }
                    }
                    DeclKind::Formula(f) => {
                        self.raise(2, format!("formula `{}`", n.name));
                        let states = crate::machines::formula_states(p, f).unwrap_or(f64::INFINITY);
                        match member.name.as_str() {
                            "state" => Interval { lo: 0.0, hi: states - 1.0 },
                            "distance" => Interval { lo: 0.0, hi: states },
                            _ => Interval { lo: 0.0, hi: 1.0 },
                        }
                    }
                    DeclKind::Criteria(c) => match member.name.as_str() {
                        "failed" => Interval { lo: 0.0, hi: c.items.len() as f64 },
                        _ => Interval { lo: 0.0, hi: 1.0 },
                    },
                    _ => match member.name.as_str() {
                        "failed" => Interval { lo: 0.0, hi: f64::INFINITY },
                        _ => Interval { lo: 0.0, hi: 1.0 },
                    },
                }
            }
            ExprKind::Index(base, _) => match &base.strip_parens().kind {
                ExprKind::Name(n) => self.interval(&Expr { kind: ExprKind::Name(n.clone()), span: e.span }, env),
                _ => Interval::all(),
            },
            ExprKind::Gated(c, body) => {
                self.interval(c, env);
                let x = self.interval(body, env);
                self.raise(3, "`gated`".into());
                // The sum over an episode of unbounded length.
                if x.is_zero() {
                    x
                } else {
                    Interval { lo: x.lo.min(0.0) * f64::INFINITY, hi: x.hi.max(0.0) * f64::INFINITY }.fix()
                }
            }
        }
    }

    fn ranged(&mut self, name: &str, range: &Option<ast::RangeExpr>, ty: Option<&Ty>) -> Interval {
        if matches!(ty, Some(&Ty::BOOL) | Some(&Ty::Vector(rw_compiler::sema::Scalar::Bool, _))) {
            return Interval { lo: 0.0, hi: 1.0 };
        }
        match self.range(range) {
            Some(iv) => iv,
            None => {
                self.unranged.insert(name.to_string());
                Interval::all()
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], env: &[(String, Interval)]) -> Interval {
        let p = self.program;
        if let Some(id) = p.lookup(name)
            && let DeclKind::Fn(f) = &p.decl(id).kind
        {
            let mut scope = Vec::new();
            for ((pname, _), a) in f.params.iter().zip(args) {
                scope.push((pname.name.clone(), self.interval(a, env)));
            }
            return self.interval(&f.body, &scope);
        }
        let ivs: Vec<Interval> = args.iter().map(|a| self.interval(a, env)).collect();
        let first = ivs.first().copied().unwrap_or(Interval::all());
        let hull = || ivs.iter().copied().reduce(Interval::hull).unwrap_or(Interval::all());
        match name {
            "min" if ivs.len() > 1 => Interval {
                lo: ivs.iter().map(|i| i.lo).fold(f64::INFINITY, f64::min),
                hi: ivs.iter().map(|i| i.hi).fold(f64::INFINITY, f64::min),
            },
            "max" if ivs.len() > 1 => Interval {
                lo: ivs.iter().map(|i| i.lo).fold(f64::NEG_INFINITY, f64::max),
                hi: ivs.iter().map(|i| i.hi).fold(f64::NEG_INFINITY, f64::max),
            },
            "min" | "max" | "mean" => first,
            "sum" => match args.first().map(|a| self.vector_len(a)) {
                Some(n) => first.mul(Interval::point(n)),
                None => Interval::all(),
            },
            "var" => Interval { lo: 0.0, hi: ((first.hi - first.lo) / 2.0).powi(2) },
            "std" | "group_std" => Interval { lo: 0.0, hi: (first.hi - first.lo) / 2.0 },
            "clamp" => {
                let (x, lo, hi) = (first, ivs.get(1).copied().unwrap_or(first), ivs.get(2).copied().unwrap_or(first));
                Interval { lo: x.lo.max(lo.lo).min(hi.lo), hi: x.hi.max(lo.hi).min(hi.hi) }
            }
            "abs" => {
                if first.lo >= 0.0 {
                    first
                } else if first.hi <= 0.0 {
                    first.neg()
                } else {
                    Interval { lo: 0.0, hi: first.hi.max(-first.lo) }
                }
            }
            "exp" => first.monotone(f64::exp),
            "sqrt" => first.monotone(|x| x.max(0.0).sqrt()),
            "log" => {
                if first.lo <= 0.0 {
                    Interval { lo: f64::NEG_INFINITY, hi: first.hi.ln() }
                } else {
                    first.monotone(f64::ln)
                }
            }
            "sigmoid" => first.monotone(|x| 1.0 / (1.0 + (-x).exp())),
            "tanh" => first.monotone(f64::tanh),
            "step" => ivs.get(1).copied().unwrap_or(first).hull(Interval::point(0.0)),
            "count" => Interval { lo: 0.0, hi: args.iter().map(|a| self.vector_len(a)).sum() },
            "div" => {
                let y = ivs.get(1).copied().unwrap_or(first);
                let m = first.lo.abs().max(first.hi.abs());
                if y.lo <= 0.0 && y.hi >= 0.0 {
                    Interval { lo: -m, hi: m }
                } else {
                    first.mul(Interval { lo: -1.0, hi: 1.0 })
                }
            }
            "rem" => {
                let y = ivs.get(1).copied().unwrap_or(first);
                let m = (y.lo.abs().max(y.hi.abs()) - 1.0).max(0.0).min(first.lo.abs().max(first.hi.abs()));
                Interval { lo: if first.lo < 0.0 { -m } else { 0.0 }, hi: if first.hi > 0.0 { m } else { 0.0 } }
            }
            "prev" => {
                self.history = true;
                self.raise(1, "history (`prev`)".into());
                match ivs.get(1) {
                    Some(d) => first.hull(*d),
                    None => first.hull(Interval::point(0.0)),
                }
            }
            "total" => {
                self.history = true;
                self.raise(1, "history (`total`)".into());
                if first.is_zero() {
                    first
                } else {
                    Interval { lo: first.lo.min(0.0) * f64::INFINITY, hi: first.hi.max(0.0) * f64::INFINITY }.fix()
                }
            }
            "group_mean" | "group_max" | "group_min" => {
                self.raise(4, format!("group term `{name}`"));
                first
            }
            "rank" => {
                self.raise(4, "group term `rank`".into());
                Interval { lo: 0.0, hi: f64::INFINITY }
            }
            _ => hull(),
        }
    }

    fn vector_len(&self, e: &Expr) -> f64 {
        if let ExprKind::Name(n) = &e.strip_parens().kind
            && let Some(Ty::Vector(_, len)) = self.program.lookup(&n.name).and_then(|id| self.program.types.get(&id))
        {
            return f64::from(*len);
        }
        1.0
    }
}

trait Fix {
    fn fix(self) -> Self;
}

impl Fix for Interval {
    /// `0 * inf` is NaN in floating point; here it means 0.
    fn fix(self) -> Interval {
        Interval { lo: if self.lo.is_nan() { 0.0 } else { self.lo }, hi: if self.hi.is_nan() { 0.0 } else { self.hi } }
    }
}

/// Exact bounds of a Markov output with an exact encoding, by optimisation.
fn optimise(program: &Program, e: &Expr, options: &Options) -> Option<Interval> {
    let mut encoder = Encoder::new(program);
    let term = encoder.term(e)?;
    if !encoder.take_exact() {
        return None;
    }
    let real = match term {
        Term::I(i) => i.to_real(),
        Term::R(r) => r,
        Term::B(_) => return None,
    };
    let mut ends = [0.0; 2];
    for (k, maximise) in [false, true].into_iter().enumerate() {
        let opt = Optimize::new();
        let mut params = Params::new();
        params.set_u32("timeout", options.timeout_ms);
        opt.set_params(&params);
        for c in &encoder.constraints {
            opt.assert(c);
        }
        if maximise {
            opt.maximize(&real);
        } else {
            opt.minimize(&real);
        }
        if opt.check(&[]) != SatResult::Sat {
            return None;
        }
        let model = opt.get_model()?;
        let (num, den) = model.eval(&real, true)?.as_rational()?;
        ends[k] = num as f64 / den as f64;
    }
    Some(Interval { lo: ends[0], hi: ends[1] })
}

fn output_name(o: &Output) -> Option<String> {
    match o {
        Output::Reward(_) => Some("reward".into()),
        Output::Log(l) => Some(l.name.name.clone()),
        _ => None,
    }
}

/// Bounds and class of every output: `reward` (shaping and constraint
/// penalties included) and each `log`.
pub fn explain(program: &Program, options: &Options) -> Vec<Explained> {
    let mut out = Vec::new();
    for output in &program.outputs {
        let Some(name) = output_name(output) else { continue };
        let mut a = Analysis {
            program,
            class: 0,
            reason: "a function of the step's inputs".into(),
            members: BTreeSet::new(),
            history: false,
            unranged: BTreeSet::new(),
            memo: HashMap::new(),
        };
        let value = match output {
            Output::Reward(r) => &r.value,
            Output::Log(l) => &l.value,
            _ => continue,
        };
        let mut bounds = a.interval(value, &[]);
        let markov_value = a.class == 0;
        if name == "reward" {
            for other in &program.outputs {
                match other {
                    Output::Shape(s) => {
                        let gamma = match &s.gamma {
                            Some(ast::ConstRef::Float(f, _)) => *f,
                            Some(ast::ConstRef::Int(i, _)) => *i as f64,
                            _ => 1.0,
                        };
                        let p = a.interval(&s.value, &[]);
                        let term = match s.kind {
                            // gamma * (P_t or 0 on done) - P_(t-1)
                            ShapeKind::Potential => {
                                p.hull(Interval::point(0.0)).mul(Interval::point(gamma)).add(p.neg())
                            }
                            ShapeKind::Term => p,
                        };
                        bounds = bounds.add(term);
                    }
                    Output::Constraint(c) => {
                        if let ExprKind::Binary(_, lhs, rhs) = &c.condition.strip_parens().kind {
                            let gap = a.interval(lhs, &[]).add(a.interval(rhs, &[]).neg());
                            bounds = bounds.add(Interval { lo: 0.0, hi: f64::INFINITY }.mul(gap).neg()).fix();
                        }
                    }
                    _ => {}
                }
            }
        }
        let extra_outputs =
            name == "reward" && program.outputs.iter().any(|o| matches!(o, Output::Shape(_) | Output::Constraint(_)));
        if markov_value
            && !extra_outputs
            && bounds.is_bounded()
            && let Some(exact) = optimise(program, value, options)
        {
            bounds = exact;
        }
        // Machines read only through their reward: merge the states that
        // pay alike; if every machine collapses to one state, the output
        // depends on the step's inputs alone.
        let mut simplification = None;
        let mut class = a.class;
        let mut reason = a.reason;
        if a.class == 1 && !a.history && a.members.iter().all(|(_, m)| m == "reward") {
            let machines: BTreeSet<&String> = a.members.iter().map(|(m, _)| m).collect();
            let mut notes = Vec::new();
            let mut all_collapse = true;
            for name in machines {
                match reward_partition(program, name) {
                    Some((states, blocks)) => {
                        let distinct: BTreeSet<usize> = blocks.iter().copied().collect();
                        if distinct.len() > 1 {
                            all_collapse = false;
                        }
                        if distinct.len() < states.len() {
                            let groups: Vec<String> = distinct
                                .iter()
                                .map(|b| {
                                    let members: Vec<&str> = states
                                        .iter()
                                        .zip(&blocks)
                                        .filter(|(_, x)| *x == b)
                                        .map(|(s, _)| s.as_str())
                                        .collect();
                                    members.join(" = ")
                                })
                                .filter(|g| g.contains(" = "))
                                .collect();
                            notes.push(if distinct.len() == 1 {
                                format!("all states of machine `{name}` pay alike: its reward is a function of the step's inputs")
                            } else {
                                format!("machine `{name}` minimises to {} states for its reward: {}", distinct.len(), groups.join(", "))
                            });
                        }
                    }
                    None => all_collapse = false,
                }
            }
            if all_collapse && !notes.is_empty() {
                class = 0;
                reason = "machine rewards that do not depend on the machine's state".into();
            }
            if !notes.is_empty() {
                simplification = Some(notes.join("; "));
            }
        }
        out.push(Explained {
            output: name,
            class: CLASSES[class],
            reason,
            bounds,
            unranged: a.unranged.into_iter().collect(),
            simplification,
        });
    }
    out
}

/// Mealy minimisation of a machine for its reward: two states are
/// equivalent when every valuation of the guard atoms pays the same reward
/// (compared as expressions) from both and leads to equivalent states.
/// Valuations that numeric atoms make impossible are kept, which can only
/// keep states apart, never merge them wrongly. `None` past 12 atoms.
fn reward_partition(program: &Program, name: &str) -> Option<(Vec<String>, Vec<usize>)> {
    use rw_compiler::automata::{Automaton, expr_text};
    let id = program.lookup(name)?;
    let DeclKind::Machine(m) = &program.decl(id).kind else { return None };
    let states = program.machine_states.get(&id).cloned().unwrap_or_default();
    let a = Automaton::from_machine(program, m, &states).ok()?;
    if a.atoms.len() > 12 {
        return None;
    }
    let edges = a.edge_views();
    let terminal = a.terminal();
    let n = a.state_count();
    let labels = 1u64 << a.atoms.len();
    let pays = |e: &rw_compiler::automata::EdgeView| match &e.reward {
        Some(r) if literal_zero(r) => String::new(),
        Some(r) => expr_text(r),
        None => String::new(),
    };
    // behaviour[s][label] = (reward text, target)
    let behaviour: Vec<Vec<(String, usize)>> = (0..n)
        .map(|s| {
            (0..labels)
                .map(|l| {
                    if terminal[s] {
                        return (String::new(), s);
                    }
                    edges
                        .iter()
                        .find(|e| e.from as usize == s && e.guard.eval(l))
                        .map_or((String::new(), s), |e| (pays(e), e.to as usize))
                })
                .collect()
        })
        .collect();
    let mut blocks = vec![0usize; n];
    loop {
        let mut ids: HashMap<Vec<(String, usize)>, usize> = HashMap::new();
        let next: Vec<usize> = (0..n)
            .map(|s| {
                let mut signature = vec![(String::new(), blocks[s])];
                signature.extend(behaviour[s].iter().map(|(r, t)| (r.clone(), blocks[*t])));
                let fresh = ids.len();
                *ids.entry(signature).or_insert(fresh)
            })
            .collect();
        let stable = ids.len() == blocks.iter().collect::<BTreeSet<_>>().len();
        blocks = next;
        if stable {
            break;
        }
    }
    Some((states, blocks))
}

fn literal_zero(e: &Expr) -> bool {
    match &e.strip_parens().kind {
        ExprKind::Int(0) => true,
        ExprKind::Float(v) => *v == 0.0,
        _ => false,
    }
}

/// Warnings about outputs: unbounded because an input or param lacks a
/// range, or constant.
pub fn check(program: &Program, options: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let explained = explain(program, options);
    for (output, e) in program.outputs.iter().filter(|o| output_name(o).is_some()).zip(&explained) {
        let span = match output {
            Output::Reward(r) => r.value.span,
            Output::Log(l) => l.value.span,
            _ => continue,
        };
        let what = if e.output == "reward" { "`reward`".to_string() } else { format!("`log {}`", e.output) };
        if !e.bounds.is_bounded() && !e.unranged.is_empty() {
            let names: Vec<String> = e.unranged.iter().map(|n| format!("`{n}`")).collect();
            out.push(
                Diagnostic::warning(code::UNBOUNDED, format!("{what} is unbounded: {}", show(e.bounds)))
                    .primary(span, format!("depends on {} without a declared range", names.join(", ")))
                    .help(format!("declare a range, for example `input {}: f32 in 0.0..=1.0`", e.unranged[0])),
            );
        } else if e.bounds.lo == e.bounds.hi && e.class == "markov" {
            out.push(
                Diagnostic::warning(code::CONSTANT_OUTPUT, format!("{what} is always {}", e.bounds.lo))
                    .primary(span, "this output never changes")
                    .help("check that it uses the inputs it should"),
            );
        }
    }
    out
}

/// `[lo, hi]` with `-inf`/`inf`.
pub fn show(iv: Interval) -> String {
    let end = |x: f64| {
        if x == f64::INFINITY {
            "inf".to_string()
        } else if x == f64::NEG_INFINITY {
            "-inf".to_string()
        } else {
            format!("{}", x as f32)
        }
    };
    format!("[{}, {}]", end(iv.lo), end(iv.hi))
}
