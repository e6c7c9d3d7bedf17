//! Shrinking a failing sequence (proptest-state-machine's order): cut the tail after the failing
//! step, delete steps (halves first, then one at a time), simplify steps, then simplify the
//! setup. Plans are re-played against the model for every candidate, so later steps keep
//! addressing what exists (the next version, real sessions, affordable amounts) after earlier
//! steps are gone; a candidate is kept only when it still fails against the same target.

use super::script::{plain_setup, Script};

/// What shrinking produced.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub script: Script,
    /// How many candidates were run.
    pub attempts: usize,
}

/// The ranges of steps to try deleting, in order: chunks of half the length down to single
/// steps, each size from the end (late steps depend on early ones, so they go first). Shared
/// by every shrinker of a step list.
pub fn deletion_ranges(len: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut size = (len / 2).max(1);
    loop {
        let mut start = len.saturating_sub(size);
        loop {
            if start + size <= len {
                out.push(start..start + size);
            }
            if start == 0 {
                break;
            }
            start = start.saturating_sub(size);
        }
        if size == 1 {
            break;
        }
        size /= 2;
    }
    out
}

/// Candidates of one shrinking phase, simplest change first, all derived from `best`.
fn deletions(best: &Script) -> Vec<Script> {
    let candidate = |range| {
        let mut c = best.clone();
        c.ops.drain(range);
        c
    };
    deletion_ranges(best.ops.len())
        .into_iter()
        .map(candidate)
        .collect()
}

fn simplifications(best: &Script) -> Vec<Script> {
    let mut out = Vec::new();
    for (i, op) in best.ops.iter().enumerate() {
        for simpler in op.simplifications() {
            let mut c = best.clone();
            c.ops[i] = simpler;
            out.push(c);
        }
    }
    out
}

fn setups(best: &Script) -> Vec<Script> {
    // Fewer wallets first, then plain funding.
    [1, 0]
        .into_iter()
        .map(|fewer| Script {
            setup: plain_setup(best.setup.wallets.len().saturating_sub(fewer)),
            ops: best.ops.clone(),
        })
        .collect()
}

/// Shrinks `script`, whose plan `failing` failed first. `fails` runs a batch of candidates
/// (up to `jobs`, possibly concurrently) and returns, for each, the index of its first failing
/// plan or `None` when it passes; the first failing candidate of a batch wins, so the result
/// does not depend on `jobs`' timing. At most `budget` candidates are run.
pub fn shrink(
    script: Script,
    failing: usize,
    budget: usize,
    jobs: usize,
    mut fails: impl FnMut(&[Script]) -> Vec<Option<usize>>,
) -> Shrunk {
    let mut best = script;
    best.ops.truncate(failing + 1);
    let mut attempts = 0;
    let phases: [fn(&Script) -> Vec<Script>; 3] = [deletions, simplifications, setups];
    loop {
        let mut progress = false;
        for phase in phases {
            // After an accepted candidate, the phase resumes about where it was: the earlier
            // candidates of the new list were (nearly all) tried already.
            let mut resume = 0;
            loop {
                let candidates: Vec<Script> = phase(&best)
                    .into_iter()
                    .skip(resume)
                    .filter(|c| !c.ops.is_empty() && c != &best)
                    .collect();
                let mut accepted = None;
                for (n, batch) in candidates.chunks(jobs.max(1)).enumerate() {
                    if attempts >= budget {
                        break;
                    }
                    let batch = &batch[..batch.len().min(budget - attempts)];
                    attempts += batch.len();
                    let results = fails(batch);
                    if let Some((k, at)) = results
                        .iter()
                        .enumerate()
                        .find_map(|(k, r)| r.map(|at| (k, at)))
                    {
                        let mut c = batch[k].clone();
                        c.ops.truncate(at + 1);
                        accepted = Some((c, n * jobs.max(1) + k));
                        break;
                    }
                }
                match accepted {
                    Some((c, position)) => {
                        best = c;
                        resume += position;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::op::{Asset, Kind, Op};

    fn transfer(share: u8) -> Op {
        Op {
            kind: Kind::Transfer {
                to: 0,
                asset: Asset::Usdc,
                share,
            },
            conn: 0,
            keys: 0,
            start: 0,
            flaw: None,
            pick: 0,
        }
    }

    #[test]
    fn keeps_only_the_step_that_matters() {
        // "Fails" whenever a transfer of share 9 is present; shrinking must find it alone.
        let ops: Vec<Op> = (1..=12).map(transfer).collect();
        let script = Script {
            setup: plain_setup(4),
            ops,
        };
        let fails = |c: &Script| {
            c.ops
                .iter()
                .position(|o| matches!(o.kind, Kind::Transfer { share, .. } if share == 9))
        };
        for jobs in [1, 3] {
            let shrunk = shrink(script.clone(), 11, 500, jobs, |batch| {
                batch.iter().map(fails).collect()
            });
            assert_eq!(shrunk.script.ops, vec![transfer(9)]);
            assert_eq!(shrunk.script.setup, plain_setup(2));
        }
    }
}
