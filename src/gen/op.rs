//! Generated steps as plans ("scenario steps"): what to do, relative to whatever state the
//! sequence has reached (session *n* among the open ones, a share of a balance, the next
//! version), plus at most one deliberate flaw. A plan is turned into a concrete request against
//! the model's state at play time ([`super::materialize`]), so a plan stays meaningful when
//! shrinking deletes the steps before it.
//!
//! Plans are drawn from an [`arbitrary::Unstructured`]: libFuzzer's bytes or seeded ChaCha
//! bytes, the same generator either way.

use super::world::World;
use arbitrary::{Arbitrary, Result, Unstructured};

/// Shares are sixteenths: of a unified balance (what to lock or send) or of a session total
/// (how to split it).
pub const SHARE_ONE: u8 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Protocol {
    V02,
    V04,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V02 => crate::model::session::PROTOCOL_02,
            Protocol::V04 => crate::model::session::PROTOCOL_04,
        }
    }
}

/// Weights and quorum of a new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Shape {
    /// Weights 50 each, quorum their sum: everybody signs (the catalogue's usual session).
    Unanimous,
    /// Weights 1 each, quorum a strict majority.
    Majority,
    /// Weights `[1, 0, …]`, quorum 1: the first participant decides alone.
    Dictator,
    /// Weights `[60, 40, …]`, quorum 60: the first alone, or any two others.
    Weighted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Asset {
    Usdc,
    Eth,
}

impl Asset {
    pub fn symbol(self) -> &'static str {
        match self {
            Asset::Usdc => "usdc",
            Asset::Eth => "eth",
        }
    }
}

/// The intent of a NitroRPC/0.4 submit (a 0.2 submit is always operate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Intent {
    Operate,
    Deposit,
    Withdraw,
}

/// A deliberate way to make a request invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum Flaw {
    /// 0.4 submit: a version ahead of the next one, or none.
    WrongVersion,
    /// 0.4 submit: the current version again (a replay).
    StaleVersion,
    /// 0.2 submit with `intent`/`version`, or 0.4 submit without them.
    ProtocolMixup,
    /// Signers short of the quorum.
    SubQuorum,
    /// One participant below the quorum signs twice (directly and through its key, or twice).
    DuplicateSigner,
    /// The outsider signs too.
    ForeignSigner,
    /// A row for the outsider.
    NonParticipantRow,
    /// Operate or close without the rows of one holder, the others taking its share.
    OmitParticipant,
    /// One row twice.
    DuplicateRow,
    NegativeAmount,
    ZeroAmount,
    /// Beyond any balance, or beyond what Postgres stores (10^46).
    HugeAmount,
    /// 19 fractional digits.
    ManyDecimals,
    /// Rows that do not add up to the session total.
    BadSum,
    /// A closed session (an unknown one when none is closed).
    ClosedSession,
    UnknownSession,
    /// More than the unified balance: a create row, a deposit, a transfer.
    Overdraw,
    /// Deposit: the depositors do not sign; the others reach the quorum when they can.
    UnsignedDepositor,
    /// Create: a positive row whose participant does not sign.
    MissingSignature,
    /// Create: quorum 0 (Q-5, SPEC-6).
    ZeroQuorum,
    /// Create: a participant twice (Q-7, SPEC-7).
    DuplicateParticipant,
    /// Create: a lower-case participant (Q-17, SPEC-8).
    LowercaseParticipant,
    /// Create: quorum above the sum of weights.
    QuorumTooHigh,
    /// Create: a protocol that does not exist.
    BadProtocol,
    /// `req[3]` two minutes old (WIRE-12).
    StaleTimestamp,
}

const CREATE_FLAWS: &[Flaw] = &[
    Flaw::NegativeAmount,
    Flaw::ZeroAmount,
    Flaw::HugeAmount,
    Flaw::ManyDecimals,
    Flaw::Overdraw,
    Flaw::NonParticipantRow,
    Flaw::MissingSignature,
    Flaw::DuplicateRow,
    Flaw::ZeroQuorum,
    Flaw::DuplicateParticipant,
    Flaw::LowercaseParticipant,
    Flaw::QuorumTooHigh,
    Flaw::BadProtocol,
    Flaw::StaleTimestamp,
];

const OPERATE_FLAWS: &[Flaw] = &[
    Flaw::WrongVersion,
    Flaw::StaleVersion,
    Flaw::ProtocolMixup,
    Flaw::SubQuorum,
    Flaw::DuplicateSigner,
    Flaw::ForeignSigner,
    Flaw::NonParticipantRow,
    Flaw::OmitParticipant,
    Flaw::DuplicateRow,
    Flaw::NegativeAmount,
    Flaw::HugeAmount,
    Flaw::ManyDecimals,
    Flaw::BadSum,
    Flaw::ClosedSession,
    Flaw::UnknownSession,
    Flaw::StaleTimestamp,
];

/// Deposits weigh their own flaws double: only a deposit can have them.
const DEPOSIT_FLAWS: &[Flaw] = &[
    Flaw::Overdraw,
    Flaw::Overdraw,
    Flaw::UnsignedDepositor,
    Flaw::UnsignedDepositor,
    Flaw::DuplicateRow,
    Flaw::NegativeAmount,
    Flaw::WrongVersion,
    Flaw::StaleVersion,
    Flaw::SubQuorum,
    Flaw::DuplicateSigner,
    Flaw::NonParticipantRow,
    Flaw::ManyDecimals,
    Flaw::ClosedSession,
];

const WITHDRAW_FLAWS: &[Flaw] = &[
    Flaw::DuplicateRow,
    Flaw::NegativeAmount,
    Flaw::WrongVersion,
    Flaw::StaleVersion,
    Flaw::SubQuorum,
    Flaw::DuplicateSigner,
    Flaw::ForeignSigner,
    Flaw::NonParticipantRow,
    Flaw::ManyDecimals,
    Flaw::HugeAmount,
    Flaw::ClosedSession,
];

const CLOSE_FLAWS: &[Flaw] = &[
    Flaw::SubQuorum,
    Flaw::DuplicateSigner,
    Flaw::ForeignSigner,
    Flaw::NonParticipantRow,
    Flaw::OmitParticipant,
    Flaw::DuplicateRow,
    Flaw::NegativeAmount,
    Flaw::HugeAmount,
    Flaw::ManyDecimals,
    Flaw::BadSum,
    Flaw::ClosedSession,
    Flaw::UnknownSession,
    Flaw::StaleTimestamp,
];

const TRANSFER_FLAWS: &[Flaw] = &[
    Flaw::Overdraw,
    Flaw::NegativeAmount,
    Flaw::ZeroAmount,
    Flaw::ManyDecimals,
    Flaw::HugeAmount,
    Flaw::ForeignSigner,
    Flaw::StaleTimestamp,
];

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    Create {
        protocol: Protocol,
        /// Participants: 2 to 4 of the setup's wallets, from `first` on (wrapping).
        size: u8,
        first: u8,
        shape: Shape,
        asset: Asset,
        /// Per participant: the share of its unified balance it locks.
        shares: [u8; 4],
    },
    Submit {
        /// Index among the open sessions, in creation order (wrapping).
        session: u8,
        intent: Intent,
        /// The asset a deposit adds (withdraw and operate work on what the session holds).
        asset: Asset,
        /// Operate: the split of each total. Deposit: the share of each depositor's unified
        /// balance added (0: not a depositor). Withdraw: the share of each holding taken out.
        shares: [u8; 4],
    },
    Close {
        session: u8,
        /// The final split of each total.
        shares: [u8; 4],
    },
    Transfer {
        /// The receiver among the other wallets (wrapping; past the end: the outsider).
        to: u8,
        asset: Asset,
        share: u8,
    },
}

/// One generated step: a plan, who sends it, how it is signed, and at most one flaw.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Op {
    pub kind: Kind,
    /// The sending connection among the setup's wallets (wrapping); a transfer's sender.
    pub conn: u8,
    /// Bit i: the i-th signer signs through its root session key instead of directly.
    pub keys: u8,
    /// Where the signer walk starts among the participants (which quorum set signs).
    pub start: u8,
    pub flaw: Option<Flaw>,
    /// Which row, participant or variant the flaw applies to.
    pub pick: u8,
}

/// Knobs of the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// Percentage of steps that carry a deliberate flaw.
    pub invalid_percent: u8,
    /// Longest sequence.
    pub max_steps: usize,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            invalid_percent: 25,
            max_steps: 12,
        }
    }
}

fn shares(u: &mut Unstructured) -> Result<[u8; 4]> {
    let mut s = [0u8; 4];
    for x in &mut s {
        *x = u.int_in_range(0..=SHARE_ONE)?;
    }
    Ok(s)
}

fn flaw(u: &mut Unstructured, config: &GenConfig, menu: &[Flaw]) -> Result<Option<Flaw>> {
    if config.invalid_percent > 0 && u.ratio(config.invalid_percent.min(100), 100u8)? {
        Ok(Some(*u.choose(menu)?))
    } else {
        Ok(None)
    }
}

/// Draws one step, weighted by what the state allows: sessions get created while there are
/// none, and submits and closes target sessions that exist.
pub fn draw(u: &mut Unstructured, world: &World, config: &GenConfig) -> Result<Op> {
    let open = world
        .model()
        .sessions()
        .filter(|s| s.status == crate::model::Status::Open)
        .count();
    let roll: u8 = u.int_in_range(0..=99)?;
    let kind_index = if open == 0 {
        match roll {
            0..=69 => 0,
            70..=89 => 3,
            90..=94 => 1,
            _ => 2,
        }
    } else {
        match roll {
            0..=19 => 0,
            20..=64 => 1,
            65..=79 => 2,
            _ => 3,
        }
    };
    let (kind, menu) = match kind_index {
        0 => (
            Kind::Create {
                protocol: Protocol::arbitrary(u)?,
                size: u.int_in_range(2..=4)?,
                first: u.arbitrary()?,
                shape: Shape::arbitrary(u)?,
                asset: if u.ratio(1u8, 4u8)? {
                    Asset::Eth
                } else {
                    Asset::Usdc
                },
                shares: shares(u)?,
            },
            CREATE_FLAWS,
        ),
        1 => {
            let (intent, menu) = match u.int_in_range(0..=3u8)? {
                0 | 1 => (Intent::Operate, OPERATE_FLAWS),
                2 => (Intent::Deposit, DEPOSIT_FLAWS),
                _ => (Intent::Withdraw, WITHDRAW_FLAWS),
            };
            (
                Kind::Submit {
                    session: u.arbitrary()?,
                    intent,
                    asset: Asset::arbitrary(u)?,
                    shares: shares(u)?,
                },
                menu,
            )
        }
        2 => (
            Kind::Close {
                session: u.arbitrary()?,
                shares: shares(u)?,
            },
            CLOSE_FLAWS,
        ),
        _ => (
            Kind::Transfer {
                to: u.arbitrary()?,
                asset: Asset::arbitrary(u)?,
                share: u.int_in_range(1..=SHARE_ONE)?,
            },
            TRANSFER_FLAWS,
        ),
    };
    Ok(Op {
        kind,
        conn: u.arbitrary()?,
        keys: u.arbitrary()?,
        start: u.arbitrary()?,
        flaw: flaw(u, config, menu)?,
        pick: u.arbitrary()?,
    })
}

impl Op {
    /// Simpler variants of this step, simplest first: no flaw, direct signatures, the first
    /// connection, smaller or plainer amounts, fewer participants (shrinking tries each).
    pub fn simplifications(&self) -> Vec<Op> {
        let mut out = Vec::new();
        let mut push = |op: Op| {
            if &op != self && !out.contains(&op) {
                out.push(op);
            }
        };
        if self.flaw.is_some() {
            push(Op {
                flaw: None,
                ..self.clone()
            });
        }
        for (keys, conn, start, pick) in [
            (0, self.conn, self.start, self.pick),
            (self.keys, 0, self.start, self.pick),
            (self.keys, self.conn, 0, self.pick),
            (self.keys, self.conn, self.start, 0),
        ] {
            push(Op {
                keys,
                conn,
                start,
                pick,
                ..self.clone()
            });
        }
        // Smaller shares, never back up: every candidate lowers the sum of the shares, so
        // shrinking cannot cycle between two "simpler" forms.
        let smaller = |s: &[u8; 4]| -> Vec<[u8; 4]> {
            let sum = |x: &[u8; 4]| x.iter().map(|v| *v as u32).sum::<u32>();
            [[1u8; 4], s.map(|x| x / 2)]
                .into_iter()
                .filter(|c| sum(c) < sum(s))
                .collect()
        };
        match &self.kind {
            Kind::Create {
                protocol,
                size,
                first,
                shape,
                asset,
                shares,
            } => {
                let with = |size: u8, first: u8, shape: Shape, asset: Asset, shares: [u8; 4]| Op {
                    kind: Kind::Create {
                        protocol: *protocol,
                        size,
                        first,
                        shape,
                        asset,
                        shares,
                    },
                    ..self.clone()
                };
                push(with(2, *first, *shape, *asset, *shares));
                push(with(*size, 0, *shape, *asset, *shares));
                push(with(*size, *first, Shape::Unanimous, *asset, *shares));
                push(with(*size, *first, *shape, Asset::Usdc, *shares));
                for shares in smaller(shares) {
                    push(with(*size, *first, *shape, *asset, shares));
                }
            }
            Kind::Submit {
                session,
                intent,
                asset,
                shares,
            } => {
                let with = |session: u8, intent: Intent, asset: Asset, shares: [u8; 4]| Op {
                    kind: Kind::Submit {
                        session,
                        intent,
                        asset,
                        shares,
                    },
                    ..self.clone()
                };
                push(with(0, *intent, *asset, *shares));
                push(with(*session, Intent::Operate, *asset, *shares));
                push(with(*session, *intent, Asset::Usdc, *shares));
                for shares in smaller(shares) {
                    push(with(*session, *intent, *asset, shares));
                }
            }
            Kind::Close { session, shares } => {
                let with = |session: u8, shares: [u8; 4]| Op {
                    kind: Kind::Close { session, shares },
                    ..self.clone()
                };
                push(with(0, *shares));
                for shares in smaller(shares) {
                    push(with(*session, shares));
                }
            }
            Kind::Transfer { to, asset, share } => {
                let with = |to: u8, asset: Asset, share: u8| Op {
                    kind: Kind::Transfer { to, asset, share },
                    ..self.clone()
                };
                push(with(0, *asset, *share));
                push(with(*to, Asset::Usdc, *share));
                push(with(*to, *asset, (*share / 2).max(1)));
            }
        }
        out
    }
}
