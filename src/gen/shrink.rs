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

/// Shrinks `script`, whose plan `failing` failed first. `fails` runs a candidate and returns
/// the index of its first failing plan, or `None` when it passes; at most `budget` candidates
/// are run.
pub fn shrink(
    script: Script,
    failing: usize,
    budget: usize,
    mut fails: impl FnMut(&Script) -> Option<usize>,
) -> Shrunk {
    let mut best = script;
    best.ops.truncate(failing + 1);
    let mut attempts = 0;
    let mut try_candidate = |candidate: Script, best: &mut Script, attempts: &mut usize| -> bool {
        if *attempts >= budget || candidate.ops.is_empty() || &candidate == best {
            return false;
        }
        *attempts += 1;
        match fails(&candidate) {
            Some(at) => {
                let mut c = candidate;
                c.ops.truncate(at + 1);
                *best = c;
                true
            }
            None => false,
        }
    };
    loop {
        let mut progress = false;
        // Deletions: chunks of half the length down to single steps, from the end (late steps
        // depend on early ones, so they go first).
        let mut size = (best.ops.len() / 2).max(1);
        loop {
            let mut start = best.ops.len().saturating_sub(size);
            loop {
                if start + size <= best.ops.len() {
                    let mut c = best.clone();
                    c.ops.drain(start..start + size);
                    if try_candidate(c, &mut best, &mut attempts) {
                        progress = true;
                    }
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
        // Simplifications of each step, first acceptable one wins.
        let mut i = 0;
        while i < best.ops.len() {
            for simpler in best.ops[i].simplifications() {
                let mut c = best.clone();
                c.ops[i] = simpler;
                if try_candidate(c, &mut best, &mut attempts) {
                    progress = true;
                    break;
                }
            }
            i += 1;
        }
        // The setup: fewer wallets, then plain funding.
        for fewer in [1, 0] {
            let mut c = best.clone();
            c.setup = plain_setup(best.setup.wallets.len().saturating_sub(fewer));
            if try_candidate(c, &mut best, &mut attempts) {
                progress = true;
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
        let shrunk = shrink(script, 11, 500, |c| {
            c.ops
                .iter()
                .position(|o| matches!(o.kind, Kind::Transfer { share, .. } if share == 9))
        });
        assert_eq!(shrunk.script.ops, vec![transfer(9)]);
        assert_eq!(shrunk.script.setup, plain_setup(2));
    }
}
