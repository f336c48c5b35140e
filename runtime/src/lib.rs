//! rw-runtime: loads compiled rw reward programs and evaluates them over
//! batches of episodes.
//!
//! The last stage of the pipeline and the only one trainers embed. It
//! depends on nothing from the compiler side: an [`Artifact`] arrives as
//! bytes, is validated on load ([`Artifact::from_bytes`]), and an
//! [`Evaluator`] steps many lanes at once.

pub mod artifact;
mod diagram;
pub mod eval;
pub mod isa;
pub mod math;
pub mod owned;
mod plan;

pub use artifact::{Artifact, LoadError};
pub use eval::{Column, Evaluator, LaneState, Options, StepError, StepInput, StepOutput};
pub use isa::Isa;
pub use owned::OwnedEvaluator;
