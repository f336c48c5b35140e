//! An evaluator that owns its program, for embedders whose objects cannot
//! carry a borrow (the Python package, the C ABI).
//!
//! [`Evaluator`] borrows its [`Artifact`]; [`OwnedEvaluator`] keeps the
//! artifact alive behind an `Arc` next to the evaluator that borrows it, so
//! many batches can share one loaded program across threads.

use crate::artifact::Artifact;
use crate::eval::{Evaluator, Options, StepError};
use std::sync::Arc;

self_cell::self_cell!(
    struct Cell {
        owner: Arc<Artifact>,
        #[covariant]
        dependent: Evaluator,
    }
);

/// An [`Evaluator`] together with the program it evaluates.
pub struct OwnedEvaluator(Cell);

impl OwnedEvaluator {
    /// An evaluator for `lanes` lanes of `program`, or the error of
    /// [`Evaluator::try_new`] when they would take too much memory.
    pub fn try_new(program: Arc<Artifact>, lanes: usize, options: Options) -> Result<OwnedEvaluator, StepError> {
        Cell::try_new(program, |p| Evaluator::try_new(p, lanes, options)).map(OwnedEvaluator)
    }

    pub fn program(&self) -> &Artifact {
        self.0.borrow_owner()
    }

    pub fn evaluator(&self) -> &Evaluator<'_> {
        self.0.borrow_dependent()
    }

    /// Runs `f` on the evaluator (to step it, set params, reset lanes).
    pub fn with_mut<R>(&mut self, f: impl FnOnce(&mut Evaluator<'_>) -> R) -> R {
        self.0.with_dependent_mut(|_, evaluator| f(evaluator))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_owned_evaluator_is_send_and_refuses_too_many_lanes() {
        fn send<T: Send>() {}
        send::<OwnedEvaluator>();
        let program = Arc::new(Artifact {
            compiler_version: String::new(),
            spec_name: "empty".into(),
            inputs: vec![],
            params: vec![],
            automata: vec![],
            slots: 1,
            slot_types: vec![crate::artifact::ValueType::F32],
            code: vec![crate::artifact::Instr { dst: 0, op: crate::artifact::Op::ConstF32(1.5) }],
            spans: vec![],
            registers: 0,
            register_writes: vec![],
            reward: 0,
            done: None,
            discount: None,
            logs: vec![],
            constraints: vec![],
        });
        assert!(matches!(
            OwnedEvaluator::try_new(program.clone(), usize::MAX / 2, Options::default()),
            Err(StepError::TooLarge { .. })
        ));
        let mut owned = OwnedEvaluator::try_new(program, 3, Options::default()).expect("3 lanes fit");
        let reward = owned.with_mut(|e| {
            let input = crate::StepInput { columns: &[], last: None, groups: None, active: None };
            e.step(&input).map(|out| out.reward.clone())
        });
        assert_eq!(reward, Ok(vec![1.5; 3]));
        assert_eq!(owned.evaluator().lanes(), 3);
    }
}
