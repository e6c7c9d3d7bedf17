//! Shrinking a diverging fidelity sequence, in [`crate::gen::shrink`]'s order: cut the tail
//! after the diverging step, delete steps (halves first, then one at a time, from the end),
//! simplify steps (the generator op's own simplifications, then the step without its
//! mutation), then plain funding. Plans are re-played for every candidate; a candidate is kept
//! only when it still diverges the same way on the same target.

use super::{Plan, Script, Step};
use crate::gen::script::plain_setup;
use crate::gen::shrink::deletion_ranges;

/// What shrinking produced.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub script: Script,
    /// How many candidates were run.
    pub attempts: usize,
}

fn deletions(best: &Script) -> Vec<Script> {
    let candidate = |range| {
        let mut c = best.clone();
        c.steps.drain(range);
        c
    };
    deletion_ranges(best.steps.len())
        .into_iter()
        .map(candidate)
        .collect()
}

fn simpler_steps(step: &Step) -> Vec<Step> {
    let mut out = Vec::new();
    if let Plan::Op(op) = &step.plan {
        for simpler in op.simplifications() {
            out.push(Step {
                plan: Plan::Op(simpler),
                mutation: step.mutation,
            });
        }
    }
    if step.mutation.is_some() {
        out.push(Step {
            plan: step.plan.clone(),
            mutation: None,
        });
    }
    out
}

fn simplifications(best: &Script) -> Vec<Script> {
    let mut out = Vec::new();
    for (i, step) in best.steps.iter().enumerate() {
        for simpler in simpler_steps(step) {
            let mut c = best.clone();
            c.steps[i] = simpler;
            out.push(c);
        }
    }
    out
}

fn setups(best: &Script) -> Vec<Script> {
    [1, 0]
        .into_iter()
        .map(|fewer| Script {
            setup: plain_setup(best.setup.wallets.len().saturating_sub(fewer)),
            steps: best.steps.clone(),
        })
        .collect()
}

/// Shrinks `script`, whose step `failing` diverged first. `fails` runs a batch of candidates
/// (up to `jobs`) and returns, for each, the index of its diverging step when it diverges the
/// same way; the first such candidate of a batch wins. At most `budget` candidates run.
pub fn shrink(
    script: Script,
    failing: usize,
    budget: usize,
    jobs: usize,
    mut fails: impl FnMut(&[Script]) -> Vec<Option<usize>>,
) -> Shrunk {
    let mut best = script;
    best.steps.truncate(failing + 1);
    let mut attempts = 0;
    let phases: [fn(&Script) -> Vec<Script>; 3] = [deletions, simplifications, setups];
    let jobs = jobs.max(1);
    loop {
        let mut progress = false;
        for phase in phases {
            loop {
                let candidates: Vec<Script> = phase(&best)
                    .into_iter()
                    .filter(|c| !c.steps.is_empty() && c != &best)
                    .collect();
                let mut accepted = None;
                for batch in candidates.chunks(jobs) {
                    if attempts >= budget {
                        break;
                    }
                    let batch = &batch[..batch.len().min(budget - attempts)];
                    attempts += batch.len();
                    let found = fails(batch)
                        .iter()
                        .enumerate()
                        .find_map(|(k, r)| r.map(|at| (k, at)));
                    if let Some((k, at)) = found {
                        let mut c = batch[k].clone();
                        c.steps.truncate(at + 1);
                        accepted = Some(c);
                        break;
                    }
                }
                match accepted {
                    Some(c) => {
                        best = c;
                        progress = true;
                    }
                    None => break,
                }
            }
        }
        if !progress || attempts >= budget {
            break;
        }
    }
    Shrunk {
        script: best,
        attempts,
    }
}
