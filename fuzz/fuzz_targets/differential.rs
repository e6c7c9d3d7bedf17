//! Generated sequences through the model and through the engine from signed frames: every reply, push and balance agrees.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nitrocert::fuzzing::differential(data));
