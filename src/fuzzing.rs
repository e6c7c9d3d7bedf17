//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable test that replays
//! their corpora (`tests/suite/fuzz_corpus.rs`): a target is only a call to one of these.

use crate::wire::inbound::{decode, Inbound};
use crate::wire::{encode_signed, parse_frame};

/// Frame parsing never panics, and whatever decodes re-encodes to a frame that decodes to the
/// same request (the raw array bytes are kept exactly).
pub fn frame(data: &[u8]) {
    let inbound = decode(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(frame) = parse_frame(text) {
            let again = parse_frame(&encode_signed(&frame.raw, &frame.sig))
                .expect("a parsed frame re-encodes to a parseable frame");
            assert_eq!(again.raw, frame.raw);
            assert_eq!(again.params, frame.params);
        }
    }
    if let Inbound::Request(request) = inbound {
        let sig: Vec<String> = request.sig.iter().map(crate::crypto::to_hex).collect();
        let reencoded = encode_signed(&request.raw, &sig);
        match decode(reencoded.as_bytes()) {
            Inbound::Request(again) => {
                assert_eq!(again.raw, request.raw);
                assert_eq!(again.id, request.id);
                assert_eq!(again.method, request.method);
                assert_eq!(again.sig, request.sig);
            }
            other => panic!("re-encoded request no longer decodes: {other:?}"),
        }
    }
}
