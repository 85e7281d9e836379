#![no_main]
// The target's body is atchat_fuzz::bytecode (fuzz/src/); tests/it/fuzz.rs runs it on every seed
// and past crash.
libfuzzer_sys::fuzz_target!(|data: &[u8]| atchat_fuzz::bytecode(data));
