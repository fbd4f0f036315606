//! The `codex-backend` command-line tool.

fn main() {}
