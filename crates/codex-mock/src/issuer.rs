//! The fake OAuth issuer (protocol §9): token grants, rotation, revocation, device code, JWTs.
//!
//! This file holds the issuer's state and the knobs tests turn; the answers to the OAuth
//! endpoints live in `grants.rs` and the JWT, PKCE and time helpers in `claims.rs`.

mod claims;
mod grants;

use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;
use std::time::SystemTime;

use serde_json::Value;
use serde_json::json;

pub use claims::decode_jwt_claims;
pub use claims::mint_jwt;
use claims::now_secs;
pub use claims::pkce_challenge;
pub use claims::rfc3339;
use claims::secs;
pub(crate) use grants::IssuerReply;

/// The public OAuth client id of the Codex CLI (protocol §9.1).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// Who the fake login belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// `email` claim.
    pub email: String,
    /// `chatgpt_account_id` claim (also `tokens.account_id`).
    pub account_id: String,
    /// `chatgpt_plan_type` claim.
    pub plan: String,
    /// `chatgpt_user_id` claim.
    pub user_id: String,
}

impl Identity {
    /// An identity with the given email, account id and plan.
    pub fn new(email: &str, account_id: &str, plan: &str) -> Identity {
        Identity {
            email: email.to_owned(),
            account_id: account_id.to_owned(),
            plan: plan.to_owned(),
            user_id: "user-codexmock000000000001".to_owned(),
        }
    }
}

impl Default for Identity {
    fn default() -> Self {
        Identity::new(
            "mock-user@example.com",
            "00000000-0000-4000-8000-00000000a001",
            "plus",
        )
    }
}

/// A token set as the issuer returns it (all values are fake, minted by this mock).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The id token (JWT with §9.8 claims).
    pub id_token: String,
    /// The access token (JWT with `exp`).
    pub access_token: String,
    /// The opaque, single-use refresh token.
    pub refresh_token: String,
    /// The ChatGPT account id (`chatgpt_account_id` claim).
    pub account_id: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("id_token", &"<redacted>")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl TokenSet {
    /// The `auth.json` document (protocol §10) for these tokens, with `last_refresh` = now.
    pub fn auth_json(&self) -> Value {
        json!({
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": null,
            "tokens": {
                "id_token": self.id_token,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "account_id": self.account_id,
            },
            "last_refresh": rfc3339(SystemTime::now()),
        })
    }

    /// Write `auth.json` into `codex_home` (created if missing), mode 0600 on Unix.
    pub fn write_auth_json(&self, codex_home: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(codex_home)?;
        let path = codex_home.join("auth.json");
        let text =
            serde_json::to_string_pretty(&self.auth_json()).map_err(std::io::Error::other)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path)?;
        std::io::Write::write_all(&mut f, text.as_bytes())
    }
}

/// How the next refresh attempt should fail (protocol §9.5 error codes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// 401 `refresh_token_expired`.
    Expired,
    /// 401 `refresh_token_reused`.
    Reused,
    /// 401 `refresh_token_invalidated`.
    Invalidated,
    /// The given status with an `{"error":{"code":"server_error"}}` body (transient).
    Status(u16),
}

/// How `interval` is encoded in the device user-code response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntervalEncoding {
    /// `"interval": "5"` (what codex-rs parses).
    String,
    /// `"interval": 5`.
    Number,
}

#[derive(Debug)]
struct CodeGrant {
    challenge: Option<String>,
    redirect_uri: Option<String>,
}

#[derive(Debug)]
struct Device {
    user_code: String,
    polls: u32,
    verifier: String,
}

#[derive(Debug)]
pub(crate) struct IssuerState {
    require_auth: bool,
    access_lifetime: Duration,
    identity: Identity,
    accept_any_code: bool,
    access_tokens: HashMap<String, u64>,
    refresh_active: HashSet<String>,
    refresh_used: HashSet<String>,
    refresh_invalidated: HashSet<String>,
    refresh_expired: HashSet<String>,
    revoked: Vec<String>,
    refresh_failures: Vec<RefreshFailure>,
    codes: HashMap<String, CodeGrant>,
    devices: HashMap<String, Device>,
    device_enabled: bool,
    device_pending_polls: u32,
    device_interval: u64,
    interval_encoding: IntervalEncoding,
    refresh_count: usize,
    token_requests: usize,
    counter: u64,
    refresh_answer_delay: Duration,
}

/// The fake OAuth issuer state of one [`MockServer`](crate::MockServer). Cheap to clone.
#[derive(Clone)]
pub struct Issuer {
    state: Arc<Mutex<IssuerState>>,
    base: String,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer").field("base", &self.base).finish()
    }
}

impl Issuer {
    pub(crate) fn new(base: String) -> Issuer {
        Issuer {
            state: Arc::new(Mutex::new(IssuerState {
                require_auth: true,
                access_lifetime: Duration::from_secs(3600),
                identity: Identity::default(),
                accept_any_code: false,
                access_tokens: HashMap::new(),
                refresh_active: HashSet::new(),
                refresh_used: HashSet::new(),
                refresh_invalidated: HashSet::new(),
                refresh_expired: HashSet::new(),
                revoked: Vec::new(),
                refresh_failures: Vec::new(),
                codes: HashMap::new(),
                devices: HashMap::new(),
                device_enabled: true,
                device_pending_polls: 1,
                device_interval: 5,
                interval_encoding: IntervalEncoding::String,
                refresh_count: 0,
                token_requests: 0,
                counter: 0,
                refresh_answer_delay: Duration::ZERO,
            })),
            base,
        }
    }

    fn lock(&self) -> MutexGuard<'_, IssuerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The issuer base URL (same as the server URL).
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// Require a valid bearer token minted by this issuer on backend routes (default `true`).
    pub fn set_require_auth(&self, require: bool) {
        self.lock().require_auth = require;
    }

    /// Whether backend routes require a valid token.
    pub fn require_auth(&self) -> bool {
        self.lock().require_auth
    }

    /// Lifetime of access tokens minted by grants and [`issue_tokens`](Self::issue_tokens)
    /// (default one hour).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.lock().access_lifetime = lifetime;
    }

    /// Set who the tokens are issued for.
    pub fn set_identity(&self, identity: Identity) {
        self.lock().identity = identity;
    }

    /// Who the tokens are issued for.
    pub fn identity(&self) -> Identity {
        self.lock().identity.clone()
    }

    /// Wait this long before answering a refresh-token grant, after the grant was processed
    /// (the old refresh token is already spent): a slow issuer, to interrupt a client while
    /// its refresh is in flight. Default zero.
    pub fn set_refresh_answer_delay(&self, delay: Duration) {
        self.lock().refresh_answer_delay = delay;
    }

    /// The delay set by [`set_refresh_answer_delay`](Self::set_refresh_answer_delay).
    pub fn refresh_answer_delay(&self) -> Duration {
        self.lock().refresh_answer_delay
    }

    /// Accept any authorization code at `/oauth/token`, not only issued ones (default `false`).
    pub fn set_accept_any_code(&self, accept: bool) {
        self.lock().accept_any_code = accept;
    }

    fn next_id(st: &mut IssuerState) -> u64 {
        st.counter += 1;
        st.counter
    }

    fn access_claims(&self, st: &mut IssuerState, exp: u64) -> Value {
        let n = Self::next_id(st);
        let id = &st.identity;
        json!({
            "iss": self.base,
            "aud": ["https://api.openai.com/v1"],
            "sub": format!("mock|{}", id.user_id),
            "iat": now_secs(),
            "exp": exp,
            "jti": format!("mock-access-{n}"),
            "scp": ["openid", "profile", "email", "offline_access"],
            "https://api.openai.com/auth": {
                "chatgpt_account_id": id.account_id,
                "chatgpt_plan_type": id.plan,
                "chatgpt_user_id": id.user_id,
                "user_id": id.user_id,
            },
            "https://api.openai.com/profile": {"email": id.email, "email_verified": true},
        })
    }

    /// Mint an access token expiring at `exp` and register it as valid.
    pub fn mint_access_token(&self, exp: SystemTime) -> String {
        let mut st = self.lock();
        let claims = self.access_claims(&mut st, secs(exp));
        let token = mint_jwt(claims);
        st.access_tokens.insert(token.clone(), secs(exp));
        token
    }

    /// Mint an id token with the §9.8 claims for the given identity.
    pub fn mint_id_token(&self, email: &str, account_id: &str, plan: &str) -> String {
        let mut st = self.lock();
        let n = Self::next_id(&mut st);
        let user_id = st.identity.user_id.clone();
        drop(st);
        mint_jwt(json!({
            "iss": self.base,
            "aud": CLIENT_ID,
            "sub": format!("mock|{user_id}"),
            "iat": now_secs(),
            "exp": now_secs() + 3600,
            "jti": format!("mock-id-{n}"),
            "email": email,
            "email_verified": true,
            "https://api.openai.com/auth": {
                "chatgpt_account_id": account_id,
                "chatgpt_plan_type": plan,
                "chatgpt_user_id": user_id,
                "user_id": user_id,
                "organization_id": "org-codexmock0001",
                "project_id": "proj_codexmock0001",
                "completed_platform_onboarding": true,
                "is_org_owner": true,
            },
        }))
    }

    fn mint_set(&self, access_exp: u64) -> TokenSet {
        let identity = self.identity();
        let id_token = self.mint_id_token(&identity.email, &identity.account_id, &identity.plan);
        let mut st = self.lock();
        let claims = self.access_claims(&mut st, access_exp);
        let access_token = mint_jwt(claims);
        st.access_tokens.insert(access_token.clone(), access_exp);
        let n = Self::next_id(&mut st);
        let refresh_token = format!("mock-refresh-token-{n:06}");
        st.refresh_active.insert(refresh_token.clone());
        TokenSet {
            id_token,
            access_token,
            refresh_token,
            account_id: identity.account_id,
        }
    }

    /// Issue a fresh, registered token set (as after a login).
    pub fn issue_tokens(&self) -> TokenSet {
        let lifetime = self.lock().access_lifetime;
        self.mint_set(now_secs() + lifetime.as_secs())
    }

    /// Issue a registered token set whose access token expires at `access_exp` (use a past
    /// time to force the client to refresh).
    pub fn issue_tokens_expiring(&self, access_exp: SystemTime) -> TokenSet {
        self.mint_set(secs(access_exp))
    }

    /// Register an authorization code with an optional PKCE challenge and redirect URI.
    pub fn issue_authorization_code(
        &self,
        code_challenge: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> String {
        let mut st = self.lock();
        let n = Self::next_id(&mut st);
        let code = format!("mock-auth-code-{n:06}");
        st.codes.insert(
            code.clone(),
            CodeGrant {
                challenge: code_challenge.map(str::to_owned),
                redirect_uri: redirect_uri.map(str::to_owned),
            },
        );
        code
    }

    /// Whether `token` is an access token this issuer minted, unexpired and not revoked.
    pub fn is_access_token_valid(&self, token: &str) -> bool {
        let st = self.lock();
        match st.access_tokens.get(token) {
            Some(exp) => *exp > now_secs() && !st.revoked.iter().any(|t| t == token),
            None => false,
        }
    }

    /// Make an access token this issuer minted invalid from now on (as if revoked): backend
    /// routes answer 401 to it.
    pub fn revoke_access_token(&self, token: &str) {
        self.lock().revoked.push(token.to_owned());
    }

    /// Mark a refresh token as invalidated (next use: 401 `refresh_token_invalidated`).
    pub fn invalidate_refresh_token(&self, token: &str) {
        let mut st = self.lock();
        st.refresh_active.remove(token);
        st.refresh_invalidated.insert(token.to_owned());
    }

    /// Mark a refresh token as expired (next use: 401 `refresh_token_expired`).
    pub fn expire_refresh_token(&self, token: &str) {
        let mut st = self.lock();
        st.refresh_active.remove(token);
        st.refresh_expired.insert(token.to_owned());
    }

    /// Make the next refresh attempt fail this way (queued, one per attempt).
    pub fn fail_next_refresh(&self, failure: RefreshFailure) {
        self.lock().refresh_failures.push(failure);
    }

    /// Number of successful refresh-token grants.
    pub fn refresh_count(&self) -> usize {
        self.lock().refresh_count
    }

    /// Number of `POST /oauth/token` requests of any grant.
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// Tokens revoked through `/oauth/revoke`, in order.
    pub fn revoked_tokens(&self) -> Vec<String> {
        self.lock().revoked.clone()
    }

    /// Enable or disable device-code login (disabled: usercode answers 404).
    pub fn set_device_enabled(&self, enabled: bool) {
        self.lock().device_enabled = enabled;
    }

    /// How many polls of `/deviceauth/token` answer 403 (pending) before success (default 1).
    pub fn set_device_pending_polls(&self, polls: u32) {
        self.lock().device_pending_polls = polls;
    }

    /// The `interval` the user-code response announces and how it is encoded
    /// (default `"5"` as a string).
    pub fn set_device_interval(&self, interval: Duration, encoding: IntervalEncoding) {
        let mut st = self.lock();
        st.device_interval = interval.as_secs();
        st.interval_encoding = encoding;
    }
}
