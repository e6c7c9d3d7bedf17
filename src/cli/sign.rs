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
functions do (JSON.stringify: compact, params keys in the order given), signs it with each \
--key in order, and prints the frame. Without --key the frame is unsigned (sig: []).",
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
    let params: serde_json::Value = serde_json::from_str(&args.params)
        .map_err(|e| CliError::Input(format!("--params is not JSON: {e}")))?;
    let keys = args
        .keys
        .iter()
        .map(|k| SecretKey::from_hex(k).map_err(|e| CliError::Input(format!("--key: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let ts = args.ts.unwrap_or_else(crate::client::now_ms);
    let req = wire::encode_req(args.id, &args.method, &params, ts);
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
req/res array. An entry that does not recover prints `invalid: <reason>` and the exit code is 1.",
    after_help = "Example:\n  \
echo '{\"req\":[1,\"ping\",{},1700000000000],\"sig\":[\"0xa10e…3c1c\"]}' | nitrocert recover\n  \
prints 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
)]
pub struct RecoverArgs {}

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
        let value: serde_json::Value = serde_json::from_str(req_text).map_err(|e| {
            CliError::Input(format!(
                "stdin is not JSON ({e}); use --raw to sign it anyway"
            ))
        })?;
        if value.as_array().map(Vec::len) != Some(4) {
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
    _args: &RecoverArgs,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let text = read_all(input)?;
    let frame = parse_frame(text.trim()).map_err(|e| CliError::Input(e.to_string()))?;
    if frame.sig.is_empty() {
        return Err(CliError::Input("the frame has no signatures".into()));
    }
    let mut code = EXIT_OK;
    for signer in frame.signers() {
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
