//! Arbitrary bytes as an inbound NitroRPC frame: never panics; decoded frames round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nitrocert::fuzzing::frame(data));
