//! The built-in functions and values of the expression language
//! (LANGUAGE.md section 6), with the places each may appear.

/// Built-in functions. Names are not reserved: a user `fn` of the same name
/// takes precedence.
pub const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "clamp",
    "abs",
    "exp",
    "log",
    "sqrt",
    "sigmoid",
    "tanh",
    "step",
    "sum",
    "mean",
    "var",
    "std",
    "count",
    "div",
    "rem",
    "prev",
    "total",
    "group_mean",
    "group_max",
    "group_min",
    "group_std",
    "group_std_unbiased",
    "rank",
    "batch_mean",
    "batch_std",
    "batch_std_unbiased",
    "batch_rank",
    "batch_group_rank",
    "batch_group_top",
];

/// Terms over other lanes: a group's (`group_*`, `rank`) or the batch's
/// (`batch_*`).
pub fn is_cross_lane(name: &str) -> bool {
    name.starts_with("group_") || name.starts_with("batch_") || name == "rank"
}

/// Built-in values that change every step.
pub const VALUES: &[&str] = &["steps", "episode_end"];

/// Built-ins whose value depends on history or on other lanes: allowed only
/// in per-step value expressions, never in guards, formulas, `fn` bodies or
/// consts.
pub fn is_stateful(name: &str) -> bool {
    matches!(name, "prev" | "total") || is_cross_lane(name)
}

/// A one-line signature for help text.
pub fn signature(name: &str) -> &'static str {
    match name {
        "min" => "min(v: T[n]) or min(a, b, ...)",
        "max" => "max(v: T[n]) or max(a, b, ...)",
        "clamp" => "clamp(x, lo, hi)",
        "abs" => "abs(x)",
        "exp" => "exp(x) -> f32",
        "log" => "log(x) -> f32",
        "sqrt" => "sqrt(x) -> f32",
        "sigmoid" => "sigmoid(x) -> f32",
        "tanh" => "tanh(x) -> f32",
        "step" => "step(cond: bool, value)",
        "sum" => "sum(v: T[n])",
        "mean" => "mean(v: T[n]) -> f32",
        "var" => "var(v: T[n]) -> f32",
        "std" => "std(v: T[n]) -> f32",
        "count" => "count(b1, b2, ...) or count(v: bool[n]) -> int",
        "div" => "div(a: int, b: int) -> int",
        "rem" => "rem(a: int, b: int) -> int",
        "prev" => "prev(x) or prev(x, default)",
        "total" => "total(x)",
        "group_mean" => "group_mean(x) -> f32",
        "group_max" => "group_max(x)",
        "group_min" => "group_min(x)",
        "group_std" => "group_std(x) -> f32",
        "group_std_unbiased" => "group_std_unbiased(x) -> f32",
        "rank" => "rank(x) -> int",
        "batch_mean" => "batch_mean(x) -> f32",
        "batch_std" => "batch_std(x) -> f32",
        "batch_std_unbiased" => "batch_std_unbiased(x) -> f32",
        "batch_rank" => "batch_rank(x) -> int",
        "batch_group_rank" => "batch_group_rank(x) -> int",
        "batch_group_top" => "batch_group_top(x, fraction: f32) -> bool",
        _ => "",
    }
}
