//! A generated sequence (a setup and a list of plans), how it plays against the model, and how
//! it becomes a golden-vector [`Case`]: the played requests are exactly a Recorder script, so
//! `vectors::fill` turns a sequence into a vector with no generator left in it.

use super::materialize::materialize;
use super::op::{draw, GenConfig, Op};
use super::world::{address, Request, Setup, WalletSetup, World, OUTSIDER, WALLETS};
use crate::model::{Detail, Expected, Outcome, Profile};
use crate::vectors::{Case, Vector};
use arbitrary::Unstructured;

/// A sequence as generated: regenerate it from these plans, never from a seed (a seed breaks
/// when the generator changes; plans and vectors do not).
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub setup: Setup,
    pub ops: Vec<Op>,
}

/// One request that was played, with the plan it came from.
#[derive(Debug, Clone)]
pub struct Played {
    pub op: usize,
    pub request: Request,
    pub outcome: Outcome,
}

const USDC_FUNDS: [&str; 5] = ["1000", "100", "250", "50", "7.5"];
const ETH_FUNDS: [&str; 3] = ["10", "1", "0.25"];

/// Two to four wallets, each with some usdc and maybe some eth; the outsider holds 100 usdc so
/// a non-participant row it signs can pass where Clearnode lets it.
pub fn draw_setup(u: &mut Unstructured) -> Setup {
    let count = u.int_in_range(2..=WALLETS.len()).unwrap_or(2);
    let wallets = WALLETS[..count]
        .iter()
        .map(|name| {
            let mut funds = vec![(
                "usdc".to_string(),
                u.choose(&USDC_FUNDS).copied().unwrap_or("1000").to_string(),
            )];
            if u.ratio(1u8, 2u8).unwrap_or(false) {
                funds.push((
                    "eth".to_string(),
                    u.choose(&ETH_FUNDS).copied().unwrap_or("10").to_string(),
                ));
            }
            WalletSetup {
                name: name.to_string(),
                funds,
            }
        })
        .collect();
    Setup {
        wallets,
        outsider: outsider(),
    }
}

fn outsider() -> WalletSetup {
    WalletSetup {
        name: OUTSIDER.to_string(),
        funds: vec![("usdc".to_string(), "100".to_string())],
    }
}

/// The simplest setup: two wallets with 1000 usdc each (shrinking moves towards it).
pub fn plain_setup(count: usize) -> Setup {
    Setup {
        wallets: WALLETS[..count.clamp(2, WALLETS.len())]
            .iter()
            .map(|n| WalletSetup {
                name: n.to_string(),
                funds: vec![("usdc".to_string(), "1000".to_string())],
            })
            .collect(),
        outsider: outsider(),
    }
}

/// Plays plans one at a time against a [`World`]; what generation and replay share, so a
/// replayed script produces exactly the requests it was generated with.
pub struct Player {
    profile: Profile,
    setup: Setup,
    detail: Detail,
    world: World,
    played: Vec<Played>,
}

impl Player {
    pub fn new(profile: Profile, setup: &Setup) -> Self {
        Self::with_detail(profile, setup, Detail::Full)
    }

    /// A player whose outcomes carry only what `detail` keeps: [`Detail::Verdict`] for
    /// callers that look at decisions and state, not at payloads.
    pub fn with_detail(profile: Profile, setup: &Setup, detail: Detail) -> Self {
        let mut world = World::new(profile, setup);
        world.set_detail(detail);
        Player {
            profile,
            setup: setup.clone(),
            detail,
            world,
            played: Vec::new(),
        }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Materializes and plays plan `index`. A plan that addresses nothing, or whose request
    /// the model does not decide (an unmodelled path would make it useless as a vector), is
    /// dropped without a trace.
    pub fn push(&mut self, op: &Op, index: usize) -> Option<&Played> {
        let request = materialize(op, &self.world, index)?;
        let outcome = self.world.play(&request);
        if matches!(outcome.response, Expected::Unmodelled(_)) {
            // Rare (plans stay inside the model's range), so rather than saving the world
            // before every step, rebuild it from the steps kept: the clock and the counters
            // must be as if the dropped step was never sent.
            self.world = World::new(self.profile, &self.setup);
            self.world.set_detail(self.detail);
            for p in &self.played {
                self.world.play(&p.request);
            }
            return None;
        }
        self.played.push(Played {
            op: index,
            request,
            outcome,
        });
        self.played.last()
    }

    /// The last step played.
    pub fn last(&self) -> Option<&Played> {
        self.played.last()
    }

    pub fn into_played(self) -> Vec<Played> {
        self.played
    }
}

/// Draws a whole sequence under `profile`: every plan is drawn from the state the previous
/// ones reached.
pub fn generate(u: &mut Unstructured, profile: Profile, config: &GenConfig) -> Script {
    let setup = draw_setup(u);
    let mut player = Player::new(profile, &setup);
    let mut ops = Vec::new();
    while ops.len() < config.max_steps && !u.is_empty() {
        let Ok(op) = draw(u, player.world(), config) else {
            break;
        };
        if player.push(&op, ops.len()).is_some() {
            ops.push(op);
        }
    }
    Script { setup, ops }
}

/// Replays a script's plans against a fresh model of `profile`.
pub fn play(script: &Script, profile: Profile) -> Vec<Played> {
    let mut player = Player::new(profile, &script.setup);
    for (i, op) in script.ops.iter().enumerate() {
        player.push(op, i);
    }
    player.into_played()
}

/// Whether any request names the outsider (as a signer or an address).
fn uses_outsider(requests: &[Request]) -> bool {
    let a = address(OUTSIDER);
    let lower = a.to_lowercase();
    requests.iter().any(|r| {
        let text = r.params.to_string();
        r.signers.iter().any(|s| s == OUTSIDER) || text.contains(a) || text.contains(&lower)
    })
}

/// Rule ids a sequence exercises, for the vector's `rules`.
fn rules_of(requests: &[Request]) -> Vec<&'static str> {
    let mut rules = Vec::new();
    for r in requests {
        let rule = match r.method.as_str() {
            "create_app_session" => "AS-CREATE-1",
            "submit_app_state" => "AS-SUBMIT-1",
            "close_app_session" => "AS-CLOSE-1",
            "transfer" => "API-12",
            _ => continue,
        };
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    rules.extend(["AS-INV-1", "AS-INV-2", "AS-INV-3", "AS-INV-4"]);
    rules
}

/// The golden-vector case of a played sequence: the setup (participants with their root keys
/// and connections, funding) and every request as played.
pub fn case(id: &str, description: &str, setup: &Setup, requests: Vec<Request>) -> Case {
    let setup = setup.clone();
    let outsider = uses_outsider(&requests);
    let rules = rules_of(&requests);
    Case::new(id, description)
        .rules(&rules)
        .flags(&["fuzz"])
        .script(move |r| {
            for w in &setup.wallets {
                r.participant(&w.name);
            }
            if outsider {
                r.wallet(OUTSIDER);
            }
            let funded = setup
                .wallets
                .iter()
                .chain(outsider.then_some(&setup.outsider));
            for w in funded {
                for (asset, amount) in &w.funds {
                    r.fund(&w.name, asset, amount);
                }
            }
            for q in &requests {
                let signers: Vec<&str> = q.signers.iter().map(String::as_str).collect();
                r.request_at(
                    &q.conn,
                    &q.method,
                    q.params.clone(),
                    &signers,
                    q.ts_offset_ms,
                );
            }
        })
}

/// Fills a played script into a vector with id `id` (its steps are the played requests).
pub fn to_vector(id: &str, description: &str, script: &Script, played: &[Played]) -> Vector {
    let requests = played.iter().map(|p| p.request.clone()).collect();
    crate::vectors::fill(&case(id, description, &script.setup, requests))
}
