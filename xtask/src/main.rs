//! Project automation: `cargo xtask ci|bench|fuzz|record`.

fn main() {}
