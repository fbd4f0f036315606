//! hyper + rustls transport for the ChatGPT Codex backend: every endpoint, retries, timeouts, abort and typed errors.
