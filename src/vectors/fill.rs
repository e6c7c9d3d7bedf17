//! Fill: run a case's script under every profile and merge the recordings into one vector.

use super::format::{Action, ExpectOrSame, Hook, Provenance, Setup, Step, Vector, FORMAT};
use super::recorder::{Recorder, START_MS};
use crate::crypto::{keccak256, to_hex};
use crate::model::Profile;

/// A case of the catalogue: what it is for, and the script that plays it.
pub struct Case {
    pub id: String,
    pub description: String,
    pub rules: Vec<String>,
    pub quirks: Vec<String>,
    pub flags: Vec<String>,
    pub protocol: Option<String>,
    pub script: Box<dyn Fn(&mut Recorder)>,
}

impl Case {
    pub fn new(id: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            description: description.into(),
            rules: vec![],
            quirks: vec![],
            flags: vec![],
            protocol: None,
            script: Box::new(|_| {}),
        }
    }

    pub fn rules(mut self, rules: &[&str]) -> Self {
        self.rules = rules.iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn quirks(mut self, quirks: &[&str]) -> Self {
        self.quirks = quirks.iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn flags(mut self, flags: &[&str]) -> Self {
        self.flags = flags.iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn protocol(mut self, protocol: &str) -> Self {
        self.protocol = Some(protocol.to_string());
        self
    }

    pub fn script(mut self, script: impl Fn(&mut Recorder) + 'static) -> Self {
        self.script = Box::new(script);
        self
    }
}

/// Steps further apart than this need a broker clock the replayer moves.
pub const MAX_STEP_GAP_MS: u64 = 1_000;

/// The hooks a case needs: the clock when steps are further apart than the filler's tick (or
/// the case says so, `needs-clock`), a channel hook for a `channel` step.
fn hooks(flags: &[String], steps: &[Step]) -> Vec<Hook> {
    let mut hooks = Vec::new();
    // The first step's gap is from the setup.
    let times: Vec<u64> = std::iter::once(0)
        .chain(steps.iter().map(|s| s.at_ms))
        .collect();
    let gaps = times
        .windows(2)
        .any(|w| w[1].saturating_sub(w[0]) > MAX_STEP_GAP_MS);
    if gaps || flags.iter().any(|f| f == "needs-clock") {
        hooks.push(Hook::Clock);
    }
    if steps
        .iter()
        .any(|s| matches!(s.action, Action::Channel { .. }))
    {
        hooks.push(Hook::Channel);
    }
    hooks
}

/// The generator string written into every vector.
pub fn generator() -> String {
    format!("nitrocert {}", env!("CARGO_PKG_VERSION"))
}

/// Runs `case` under both profiles and merges the expectations. Panics when the script sends
/// different requests under different profiles: a vector has one input sequence.
pub fn fill(case: &Case) -> Vector {
    let mut recordings = Vec::new();
    for profile in Profile::ALL {
        let mut recorder = Recorder::new(profile);
        (case.script)(&mut recorder);
        recordings.push(recorder.into_parts());
    }
    let first = recordings.remove(0);
    let first_profile = Profile::ALL[0].name().to_string();
    let mut steps: Vec<Step> = first.steps;
    for (other, profile) in recordings.into_iter().zip(Profile::ALL.iter().skip(1)) {
        assert_eq!(
            other.steps.len(),
            steps.len(),
            "{}: the script must send the same steps under every profile",
            case.id
        );
        for (step, mut theirs) in steps.iter_mut().zip(other.steps) {
            assert_eq!(
                (&step.action, &step.conn, step.at_ms),
                (&theirs.action, &theirs.conn, theirs.at_ms),
                "{}: the script must send the same steps under every profile",
                case.id
            );
            let expect = theirs
                .expect
                .remove(profile.name())
                .expect("recorded under its profile");
            let same = step.expect.get(&first_profile) == Some(&expect);
            step.expect.insert(
                profile.name().to_string(),
                if same {
                    ExpectOrSame::Same {
                        same_as: first_profile.clone(),
                    }
                } else {
                    expect
                },
            );
        }
    }
    let setup = Setup {
        now_ms: START_MS,
        identities: first.identities,
        balances: first.balances,
        connections: first.connections,
    };
    let inputs: Vec<_> = steps
        .iter()
        .map(|s| serde_json::json!([s.at_ms, s.conn, s.action]))
        .collect();
    let source =
        serde_json::to_string(&serde_json::json!([case.id, setup, inputs])).expect("serializable");
    Vector {
        format: FORMAT.to_string(),
        id: case.id.clone(),
        description: case.description.clone(),
        rules: case.rules.clone(),
        quirks: case.quirks.clone(),
        flags: case.flags.clone(),
        protocol: case.protocol.clone(),
        hooks: hooks(&case.flags, &steps),
        provenance: Provenance {
            generator: generator(),
            profiles: Profile::ALL.iter().map(|p| p.name().to_string()).collect(),
            source_hash: to_hex(keccak256(source.as_bytes())),
        },
        setup,
        steps,
    }
}
