//! `--mock` in a binary built without the `mock` feature (`cargo install
//! --no-default-features`): the same names as `mock.rs`, but [`MockEnv::start`] always fails
//! with a usage error (exit 2) and the other items can never be reached (their types have no
//! values).

use std::path::Path;

use crate::error::CliError;

/// Never constructed: [`MockEnv::start`] always fails.
#[derive(Debug)]
pub struct MockEnv {
    /// No server in this build.
    pub server: NoServer,
    /// No throwaway home in this build.
    pub home: NoHome,
}

/// A mock server that cannot exist in this build.
#[derive(Debug)]
pub enum NoServer {}

/// A throwaway home that cannot exist in this build.
#[derive(Debug)]
pub enum NoHome {}

impl MockEnv {
    /// Always the usage error saying how the binary was built.
    pub async fn start(_logged_in: bool) -> Result<Self, CliError> {
        Err(CliError::usage(
            "--mock is not available: this codex-backend was built without mock support \
             (the `mock` feature; rebuild without --no-default-features)",
        ))
    }
}

impl NoServer {
    /// Unreachable.
    pub fn backend_base_url(&self) -> String {
        match *self {}
    }
    /// Unreachable.
    pub fn usage_url(&self) -> String {
        match *self {}
    }
    /// Unreachable.
    pub fn api_base_url(&self) -> String {
        match *self {}
    }
    /// Unreachable.
    pub fn issuer_url(&self) -> String {
        match *self {}
    }
}

impl NoHome {
    /// Unreachable.
    pub fn path(&self) -> &Path {
        match *self {}
    }
}

/// Unreachable without a mock (`login --mock` fails before).
pub async fn drive_browser(_url: String) -> Result<(), String> {
    Err("built without mock support".to_owned())
}

/// Unreachable without a mock.
pub fn script_ask(server: &NoServer, _s: &crate::request::Settings, _prompt: &str) {
    match *server {}
}
