//! Value types of the expression language.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    Bool,
    Int,
    F32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Scalar(Scalar),
    Vector(Scalar, u32),
    /// `input checks: criteria`: a ragged per-lane list of (weight, verdict).
    Criteria,
    /// The type of an expression that already produced a diagnostic; it
    /// matches everything so that one mistake is reported once.
    Error,
}

impl Ty {
    pub const BOOL: Ty = Ty::Scalar(Scalar::Bool);
    pub const INT: Ty = Ty::Scalar(Scalar::Int);
    pub const F32: Ty = Ty::Scalar(Scalar::F32);

    pub fn is_numeric(self) -> bool {
        matches!(self, Ty::Scalar(Scalar::Int | Scalar::F32) | Ty::Error)
    }

    pub fn is_bool(self) -> bool {
        matches!(self, Ty::Scalar(Scalar::Bool) | Ty::Error)
    }

    pub fn is_error(self) -> bool {
        self == Ty::Error
    }

    /// A value of type `self` may be used where `target` is expected
    /// (identical, or `int` widening to `f32`).
    pub fn assignable_to(self, target: Ty) -> bool {
        self == target || self.is_error() || target.is_error() || (self == Ty::INT && target == Ty::F32)
    }

    /// The common type of two numeric operands: `int` only when both are.
    pub fn numeric_join(a: Ty, b: Ty) -> Ty {
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
            (Ty::INT, Ty::INT) => Ty::INT,
            _ => Ty::F32,
        }
    }
}

impl Ty {
    /// The type with its article, for messages: "an `int`", "a `bool`".
    pub fn with_article(self) -> String {
        match self {
            Ty::Scalar(Scalar::Int) => "an `int`".to_string(),
            t => format!("a `{t}`"),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scalar::Bool => "bool",
            Scalar::Int => "int",
            Scalar::F32 => "f32",
        })
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Scalar(s) => write!(f, "{s}"),
            Ty::Vector(s, n) => write!(f, "{s}[{n}]"),
            Ty::Criteria => f.write_str("criteria"),
            Ty::Error => f.write_str("{error}"),
        }
    }
}
