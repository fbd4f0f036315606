//! Helpers shared by the integration tests of the codex-backend workspace.
//!
//! Each crate's `tests/common` keeps only what is specific to it; what several of them wrote
//! again lives here:
//!
//! - [`TempDir`]: a private folder removed on drop (a `CODEX_HOME`, an `auth.json`).
//! - [`bench`](mod@bench): the generated Responses-style SSE stream the parser and decoder benches read.
//! - [`http`]: a raw HTTP/1.1 client over a `TcpStream`, to play a browser during a login or
//!   to see a server's answer byte by byte.
//! - [`both_transports!`]: one test body run over HTTP SSE and over WebSocket.
//! - `mock` (feature `mock`): a login minted by codex-mock's issuer, transport-neutral views
//!   of codex-mock's request log, and replies derived from codex-mock's.
//!
//! Test code: helpers panic with a clear message instead of returning errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed set-up is a failed test"
)]

pub mod bench;
pub mod http;
#[cfg(feature = "mock")]
pub mod mock;
mod temp;

pub use temp::TempDir;

/// Runs each named scenario over both transports: for every `name`, a module `name` with the
/// tests `name::sse` and `name::websocket`, which call `name(Transport::Sse)` and
/// `name(Transport::WebSocket)`. `Transport` is whatever type of that name is in scope where the
/// macro is used (codex-client's or the facade's), and `name` an `async fn(Transport)` beside it.
///
/// ```ignore
/// async fn text_reply(t: Transport) { /* ... */ }
/// codex_test_support::both_transports!(text_reply);
/// ```
#[macro_export]
macro_rules! both_transports {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sse() {
                    super::$name(super::Transport::Sse).await;
                }

                #[tokio::test]
                async fn websocket() {
                    super::$name(super::Transport::WebSocket).await;
                }
            }
        )+
    };
}
