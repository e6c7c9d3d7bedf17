//! Arbitrary bytes into the engine's frame handler: a well-formed signed reply (none for an empty frame), no state change unless accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nitrocert::fuzzing::broker_frame(data));
