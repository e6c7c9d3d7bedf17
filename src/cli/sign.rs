//! `nitrocert sign` and `nitrocert recover`: the signing layer, checkable from outside.

use super::{CliError, EXIT_FINDINGS, EXIT_OK};
use crate::crypto::SecretKey;
use crate::wire::{self, parse_frame};
use clap::Args;
use std::io::{Read, Write};

#[derive(Args, Debug)]
#[command(
    about = "Sign a req array read from stdin and print the signed frame",
    long_about = "Reads a `req` array such as [1,\"ping\",{},1700000000000] from standard input and \
prints {\"req\":<that text>,\"sig\":[…]} with one signature per --key, in order.\n\n\
The text is signed byte for byte (keccak256, secp256k1, v = 27/28, no EIP-191 prefix) and \
spliced into the frame without re-serializing, so spacing and key order are kept. Whitespace \
around the array (such as echo's trailing newline) is dropped, as brokers drop it.",
    after_help = "Example:\n  \
echo '[1,\"ping\",{},1700000000000]' | nitrocert sign \\\n    \
--key 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n  \
prints {\"req\":[1,\"ping\",{},1700000000000],\"sig\":[\"0xa10ee2dd…3c1c\"]}"
)]
pub struct SignArgs {
    /// Private key (32 bytes of hex, 0x optional); repeat for several signers.
    #[arg(long = "key", value_name = "HEX")]
    pub keys: Vec<String>,
    /// Sign even if the text is not a JSON array of 4 elements (for envelope tests).
    #[arg(long)]
    pub raw: bool,
}

#[derive(Args, Debug)]
#[command(
    about = "Build and sign a request frame as the official SDK does",
    long_about = "Builds the req array [id, method, params, ts] the way the SDK's create*Message \
functions do, signs it with each --key in order, and prints the frame. Without --key the frame \
is unsigned (sig: []).\n\n\
--params is read as JSON.parse reads it and written as JSON.stringify writes it, so the bytes \
are the SDK's for the object the SDK caller would hold: numbers are doubles (1.0 → 1, 1E5 → \
100000, -0 → 0, 1e-6 → 0.000001, 1e400 → null), a lone surrogate escape stays \\udXXX, and \
integer-like keys come first in ascending order.",
    after_help = "Example:\n  \
nitrocert request --id 1 --method ping --params '{}' --ts 1700000000000 \\\n    \
--key 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
)]
pub struct RequestArgs {
    #[arg(long)]
    pub id: u64,
    #[arg(long)]
    pub method: String,
    /// The params as JSON text (keys keep their order).
    #[arg(long, default_value = "{}")]
    pub params: String,
    /// Request timestamp, Unix ms (default: now).
    #[arg(long)]
    pub ts: Option<u64>,
    /// Private key (hex); repeat for several signers.
    #[arg(long = "key", value_name = "HEX")]
    pub keys: Vec<String>,
}

pub fn request(args: &RequestArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    // The SDK caller would hold JSON.parse(text): doubles, lone surrogates, JS key order.
    let params = wire::js::parse(&args.params)
        .map_err(|e| CliError::Input(format!("--params is not JSON: {e}")))?;
    let keys = args
        .keys
        .iter()
        .map(|k| SecretKey::from_hex(k).map_err(|e| CliError::Input(format!("--key: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let ts = args.ts.unwrap_or_else(crate::client::now_ms);
    let req = wire::encode_req_js(args.id, &args.method, &params, ts);
    writeln!(
        out,
        "{}",
        wire::encode_signed(&req, &wire::sign_req(&req, &keys))
    )?;
    Ok(EXIT_OK)
}

#[derive(Args, Debug)]
#[command(
    about = "Print the address that signed each signature of a frame read from stdin",
    long_about = "Reads one frame ({\"req\":…} or {\"res\":…}) from standard input and prints, one \
per line, the EIP-55 address recovered from each `sig` entry over the exact bytes of the \
req/res array. An entry that does not recover prints `invalid: <reason>` and the exit code is 1.\n\n\
An auth_verify frame signed by a wallet (EIP-712, AUTH-6) is not signed over its bytes: give \
the params of the auth_request it answers with --auth-request, and the signer is recovered \
from the Policy typed data (domain name = application, the frame's challenge).",
    after_help = "Example:\n  \
echo '{\"req\":[1,\"ping\",{},1700000000000],\"sig\":[\"0xa10e…3c1c\"]}' | nitrocert recover\n  \
prints 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
)]
pub struct RecoverArgs {
    /// The params of the auth_request this auth_verify frame answers (JSON): recover the
    /// EIP-712 Policy signer instead of a signer over the req bytes.
    #[arg(long, value_name = "JSON")]
    pub auth_request: Option<String>,
}

/// The auth_request fields the EIP-712 Policy is built from (AUTH-6).
#[derive(serde::Deserialize)]
struct AuthRequestParams {
    address: String,
    session_key: String,
    application: String,
    scope: String,
    expires_at: u64,
    #[serde(default)]
    allowances: Vec<AllowanceParams>,
}

#[derive(serde::Deserialize)]
struct AllowanceParams {
    asset: String,
    amount: String,
}

/// The digest an auth_verify signature covers: the Policy of `auth_request` with the frame's
/// challenge.
fn policy_digest(auth_request: &str, frame: &wire::Frame) -> Result<[u8; 32], CliError> {
    let p: AuthRequestParams = serde_json::from_str(auth_request)
        .map_err(|e| CliError::Input(format!("--auth-request: {e}")))?;
    let challenge = frame.params.get("challenge").and_then(|c| c.as_str());
    let challenge = challenge.ok_or_else(|| {
        CliError::Input("--auth-request needs an auth_verify frame with a challenge".into())
    })?;
    let policy = crate::crypto::eip712::Policy {
        application: p.application,
        challenge: challenge.to_string(),
        scope: p.scope,
        wallet: p.address,
        session_key: p.session_key,
        expires_at: p.expires_at,
        allowances: p
            .allowances
            .into_iter()
            .map(|a| crate::crypto::eip712::Allowance {
                asset: a.asset,
                amount: a.amount,
            })
            .collect(),
    };
    policy
        .digest()
        .map_err(|e| CliError::Input(format!("--auth-request: {e}")))
}

fn read_all(input: &mut dyn Read) -> Result<String, CliError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| CliError::Input(format!("standard input is not UTF-8 text: {e}")))?;
    Ok(text)
}

pub fn sign(args: &SignArgs, input: &mut dyn Read, out: &mut dyn Write) -> Result<i32, CliError> {
    if args.keys.is_empty() {
        return Err(CliError::Input("give at least one --key".into()));
    }
    let keys = args
        .keys
        .iter()
        .map(|k| SecretKey::from_hex(k).map_err(|e| CliError::Input(format!("--key: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let text = read_all(input)?;
    let req_text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if !args.raw {
        // Any JSON that JSON.parse accepts (a lone surrogate included) is a req array.
        let value = wire::js::parse(req_text).map_err(|e| {
            CliError::Input(format!(
                "stdin is not JSON ({e}); use --raw to sign it anyway"
            ))
        })?;
        if !matches!(&value, wire::js::JsValue::Array(items) if items.len() == 4) {
            return Err(CliError::Input(
                "stdin must be a req array [id, method, params, ts]; use --raw to sign it anyway"
                    .into(),
            ));
        }
    }
    let sig = wire::sign_req(req_text, &keys);
    writeln!(out, "{}", wire::encode_signed(req_text, &sig))?;
    Ok(EXIT_OK)
}

pub fn recover(
    args: &RecoverArgs,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let text = read_all(input)?;
    let frame = parse_frame(text.trim()).map_err(|e| CliError::Input(e.to_string()))?;
    if frame.sig.is_empty() {
        return Err(CliError::Input("the frame has no signatures".into()));
    }
    let signers = match &args.auth_request {
        None => frame.signers(),
        Some(auth_request) => {
            let digest = policy_digest(auth_request, &frame)?;
            let recover = |s: &String| {
                crate::crypto::Signature::from_hex(s).and_then(|sig| sig.recover(&digest))
            };
            frame.sig.iter().map(recover).collect()
        }
    };
    let mut code = EXIT_OK;
    for signer in signers {
        match signer {
            Ok(address) => writeln!(out, "{address}")?,
            Err(e) => {
                writeln!(out, "invalid: {e}")?;
                code = EXIT_FINDINGS;
            }
        }
    }
    Ok(code)
}
