//! A real loopback HTTP(S) server that plays the ChatGPT Codex backend and the OAuth issuer, for tests and offline demos.
