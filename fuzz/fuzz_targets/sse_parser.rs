//! Fuzz target for the codex-sse parser.
//!
//! The body is `check` from `crates/codex-sse/tests/common/mod.rs`, the same function the normal
//! test suite drives with proptest (`cargo test -p codex-sse --test prop`). See that function for
//! the input layout and the invariants asserted.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run sse_parser -- -max_total_time=600`
//! (or `cargo xtask fuzz`).
#![no_main]

#[path = "../../crates/codex-sse/tests/common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(data));
