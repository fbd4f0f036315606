//! ChatGPT OAuth login (PKCE browser and device code), token refresh and the auth.json store shared with the Codex CLI.
