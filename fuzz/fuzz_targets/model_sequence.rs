//! Generated request sequences through the model: the spec profile keeps every invariant, neither profile panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nitrocert::fuzzing::model_sequence(data));
