//! `nitrocert serve`: the embedded reference broker, for wallet and SDK authors.

use super::{CliError, EXIT_OK};
use crate::broker;
use crate::crypto::identity::{derive, Role};
use crate::crypto::{checksum, SecretKey};
use crate::engine::Engine;
use crate::model::{amount::parse_decimal, Profile};
use clap::Args;
use std::io::Write;

#[derive(Args, Debug)]
#[command(
    about = "Run the embedded reference broker (the model over WebSocket) on loopback",
    long_about = "Serves the reference model as a NitroRPC broker at ws://127.0.0.1:PORT/ws: \
the real wire format, the auth flow with EIP-712 verification, broker-signed responses and \
notifications, app sessions in NitroRPC/0.2 and 0.4, transfers, session keys and the read methods \
(ledger balances, entries and transactions, app sessions, channels, RPC history, session keys, \
user tag). The channel operations (create/resize/close_channel) need a chain and are refused.\n\n\
Wallet and SDK authors can point their client at it; --fund credits unified balances at start. \
It runs until interrupted (Ctrl-C).\n\n\
--control also serves a test-control interface at ws://127.0.0.1:PORT/control (loopback peers \
only, never a browser): JSON requests that fund a wallet, give it a channel, read or advance the \
broker's clock, and reset the broker to its start state. `nitrocert certify --control URL` uses \
it to certify this broker over its socket with every vector (src/broker/control.rs documents \
the methods).",
    after_help = "Examples:\n  \
nitrocert serve --port 8000 --fund 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf:usdc:1000\n  \
nitrocert serve --profile spec --port 0          # a free port, printed on start\n  \
nitrocert serve --port 0 --control               # plus ws://127.0.0.1:PORT/control for a harness"
)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// `clearnode-0.5.2` (bug-compatible) or `spec` (rejects what breaks conservation).
    #[arg(long, default_value = "clearnode-0.5.2", value_parser = ["clearnode-0.5.2", "spec"])]
    pub profile: String,
    /// Credit a unified balance at start: WALLET:ASSET:AMOUNT (repeatable).
    #[arg(long, value_name = "WALLET:ASSET:AMOUNT")]
    pub fund: Vec<String>,
    /// Asset symbols the broker announces and accepts in allowances (repeatable).
    #[arg(long = "asset", default_values_t = ["usdc".to_string()])]
    pub assets: Vec<String>,
    /// The broker's signing key; default: derived from --seed.
    #[arg(long, value_name = "HEX")]
    pub broker_key: Option<String>,
    /// Seed for the broker key and the auth challenges.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Carry a seeded bug, to prove a harness catches it (see `--fault list`).
    #[arg(long, value_name = "NAME")]
    pub fault: Option<String>,
    /// Serve the loopback-only test-control interface at /control (fund, channel, clock,
    /// advance, reset).
    #[arg(long)]
    pub control: bool,
}

/// A funding instruction, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funding {
    pub wallet: String,
    pub asset: String,
    pub amount: String,
}

pub fn parse_funding(text: &str) -> Result<Funding, CliError> {
    let bad =
        |why: &str| CliError::Input(format!("--fund {text:?}: {why} (want WALLET:ASSET:AMOUNT)"));
    let mut parts = text.splitn(3, ':');
    let (Some(wallet), Some(asset), Some(amount)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("three parts needed"));
    };
    let wallet = checksum(wallet).map_err(|_| bad("the wallet is not a 0x address"))?;
    if asset.is_empty() {
        return Err(bad("empty asset"));
    }
    parse_decimal(amount).map_err(|_| bad("the amount is not a decimal"))?;
    Ok(Funding {
        wallet,
        asset: asset.to_string(),
        amount: amount.to_string(),
    })
}

/// The engine `serve` and `certify` start: a model of `profile`, funded, with its broker key.
pub fn build_engine(
    profile: Profile,
    assets: &[String],
    funding: &[Funding],
    broker_key: SecretKey,
    seed: u64,
) -> Engine {
    let mut engine = Engine::serving(profile, assets, broker_key, seed);
    for f in funding {
        let amount = parse_decimal(&f.amount).expect("validated by parse_funding");
        engine
            .model
            .fund_at(&f.wallet, &f.asset, &amount, crate::clock::now_ms());
    }
    engine
}

pub fn serve(args: &ServeArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let profile = Profile::from_name(&args.profile).expect("clap checked the name");
    let funding = args
        .fund
        .iter()
        .map(|f| parse_funding(f))
        .collect::<Result<Vec<_>, _>>()?;
    let key = match &args.broker_key {
        Some(hex) => {
            SecretKey::from_hex(hex).map_err(|e| CliError::Input(format!("--broker-key: {e}")))?
        }
        None => derive(args.seed, Role::Broker, 0),
    };
    let fault = match args.fault.as_deref() {
        None => None,
        Some("list") => {
            for f in crate::engine::Fault::every() {
                writeln!(out, "{:<22} {}", f.name(), f.describe())?;
            }
            return Ok(EXIT_OK);
        }
        Some(name) => Some(crate::engine::Fault::from_name(name).ok_or_else(|| {
            CliError::Input(format!("unknown fault {name:?}; `--fault list` shows them"))
        })?),
    };
    let engine = build_engine(profile, &args.assets, &funding, key, args.seed).with_fault(fault);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
        let options = broker::Options {
            control: args.control,
        };
        let handle = broker::spawn_with(engine, addr, options)
            .await
            .map_err(|e| CliError::Input(format!("cannot listen on {addr}: {e}")))?;
        writeln!(
            out,
            "nitrocert reference broker ({profile}) listening on {}",
            handle.url()
        )?;
        writeln!(out, "broker address {}", handle.broker_address)?;
        if args.control {
            writeln!(out, "test control at {}", handle.control_url())?;
        }
        out.flush()?;
        let _ = tokio::signal::ctrl_c().await;
        handle.stop().await;
        Ok(EXIT_OK)
    })
}
