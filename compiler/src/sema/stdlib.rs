//! The standard library, embedded in the compiler binary.
//!
//! `use std::NAME` resolves to `stdlib/NAME.rw`. A test checks that every file
//! in `stdlib/` is listed here.

pub const MODULES: &[(&str, &str)] = &[
    ("length", include_str!("../../../stdlib/length.rw")),
    ("shaping", include_str!("../../../stdlib/shaping.rw")),
    ("ensemble", include_str!("../../../stdlib/ensemble.rw")),
    ("format", include_str!("../../../stdlib/format.rw")),
    ("carl", include_str!("../../../stdlib/carl.rw")),
    ("ltl_patterns", include_str!("../../../stdlib/ltl_patterns.rw")),
    ("grpo", include_str!("../../../stdlib/grpo.rw")),
    ("omega", include_str!("../../../stdlib/omega.rw")),
];

pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}
