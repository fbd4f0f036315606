//! The options of the browser and device-code logins, and the device code shown to the user.

use std::sync::Arc;
use std::time::Duration;

use super::Callback;
use super::CodeCallback;
use super::DEFAULT_CALLBACK_PORT;
use super::DEVICE_CODE_LIFETIME;
use super::FALLBACK_CALLBACK_PORT;
use super::MIN_POLL_INTERVAL;
use super::UrlCallback;

/// Options of [`AuthManager::login_browser`](crate::AuthManager::login_browser).
#[derive(Clone, Debug)]
#[must_use]
pub struct BrowserLoginOptions {
    pub(super) port: u16,
    pub(super) fallback_port: Option<u16>,
    pub(super) open_browser: bool,
    pub(super) timeout: Duration,
    pub(super) api_key_exchange: bool,
    pub(super) on_url: Option<UrlCallback>,
}

impl Default for BrowserLoginOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl BrowserLoginOptions {
    /// Port 1455 with fallback 1457, open the browser, 10-minute timeout, no API-key exchange,
    /// the URL printed to standard error.
    pub fn new() -> Self {
        Self {
            port: DEFAULT_CALLBACK_PORT,
            fallback_port: Some(FALLBACK_CALLBACK_PORT),
            open_browser: true,
            timeout: Duration::from_secs(10 * 60),
            api_key_exchange: false,
            on_url: None,
        }
    }

    /// The callback port (default 1455; 0 picks a free port, for tests). The issuer only
    /// accepts registered redirect URIs, so keep the default against the real issuer.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The port tried when `port` stays busy (default 1457; `None` for no fallback).
    pub fn fallback_port(mut self, port: Option<u16>) -> Self {
        self.fallback_port = port;
        self
    }

    /// Try to open the system browser (default `true`). With `false` the URL is only printed
    /// (or handed to [`Self::on_url`]).
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// Give up when the login has not completed within this time (default 10 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also exchange the id token for an API key and store it as `OPENAI_API_KEY` (best
    /// effort; default `false`).
    pub fn api_key_exchange(mut self, exchange: bool) -> Self {
        self.api_key_exchange = exchange;
        self
    }

    /// Called once with the authorize URL instead of printing it to standard error.
    pub fn on_url(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_url = Some(Callback(Arc::new(f)));
        self
    }
}

/// What the user must do to finish a device-code login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCode {
    /// The page where the user enters the code (`{issuer}/codex/device`).
    pub verification_url: String,
    /// The code to enter. Short-lived and useless without the user's own sign-in.
    pub user_code: String,
    /// How often the issuer is polled.
    pub interval: Duration,
}

/// Options of [`AuthManager::login_device`](crate::AuthManager::login_device).
#[derive(Clone, Debug)]
#[must_use]
pub struct DeviceLoginOptions {
    pub(super) timeout: Duration,
    pub(super) api_key_exchange: bool,
    pub(super) min_poll_interval: Duration,
    pub(super) on_code: Option<CodeCallback>,
}

impl Default for DeviceLoginOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceLoginOptions {
    /// 15-minute limit, no API-key exchange, instructions printed to standard error.
    pub fn new() -> Self {
        Self {
            timeout: DEVICE_CODE_LIFETIME,
            api_key_exchange: false,
            min_poll_interval: MIN_POLL_INTERVAL,
            on_code: None,
        }
    }

    /// Give up after this time (default and maximum useful value: 15 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also exchange the id token for an API key (best effort; default `false`, like the
    /// official CLI's device flow).
    pub fn api_key_exchange(mut self, exchange: bool) -> Self {
        self.api_key_exchange = exchange;
        self
    }

    /// The shortest wait between two polls of the issuer (default 1 s). An issuer
    /// `interval` below it (for example `0`) is raised to it, so a misconfigured issuer is
    /// not polled hundreds of times a minute. Lowering it is meant for tests against a
    /// local mock issuer; real programs should keep the default.
    pub fn min_poll_interval(mut self, min: Duration) -> Self {
        self.min_poll_interval = min;
        self
    }

    /// Called once with the verification URL and user code instead of printing them.
    pub fn on_code(mut self, f: impl Fn(&DeviceCode) + Send + Sync + 'static) -> Self {
        self.on_code = Some(Callback(Arc::new(f)));
        self
    }
}
