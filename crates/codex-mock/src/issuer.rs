//! The fake OAuth issuer (protocol §9): token grants, rotation, revocation, device code, JWTs.

use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use serde_json::json;
use sha2::Digest;
use sha2::Sha256;

/// The public OAuth client id of the Codex CLI (protocol §9.1).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// Mint an unsigned-looking fake JWT: header `{"alg":"none","typ":"JWT"}`, the given claims
/// as base64url-nopad payload, and a fixed fake signature (three non-empty parts).
pub fn mint_jwt(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(crate::events::canonical_json(&claims).as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(b"codex-mock-fake-signature");
    format!("{header}.{payload}.{sig}")
}

/// Decode the claims of a JWT minted by [`mint_jwt`] (or any base64url-nopad JWT).
pub fn decode_jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || s.is_empty() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The PKCE S256 challenge of a verifier: base64url-nopad(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

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

/// A reply decided by the issuer: status and JSON body, or a redirect.
#[derive(Debug)]
pub(crate) enum IssuerReply {
    Json(u16, Value),
    Redirect(String),
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Format a time as RFC 3339 UTC with microseconds (`2026-01-02T03:04:05.123456Z`).
// An independent copy of codex-auth's calendar maths, kept on purpose: the mock is the check.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let total = d.as_secs() as i64;
    let days = total.div_euclid(86_400);
    let rem = total.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm). The mock's own copy of codex-auth's date
    // maths, on purpose: it depends on no workspace crate, so it checks the SDK independently.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

fn err_obj(status: u16, code: &str, message: &str) -> IssuerReply {
    IssuerReply::Json(
        status,
        json!({"error": {"code": code, "message": message, "type": "invalid_request_error"}}),
    )
}

fn err_str(status: u16, error: &str, description: &str) -> IssuerReply {
    IssuerReply::Json(
        status,
        json!({"error": error, "error_description": description}),
    )
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

    pub(crate) fn revoke(&self, token: &str) {
        let mut st = self.lock();
        if st.refresh_active.remove(token) {
            st.refresh_invalidated.insert(token.to_owned());
        }
        st.revoked.push(token.to_owned());
    }

    pub(crate) fn authorize(&self, query: &[(String, String)]) -> IssuerReply {
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let Some(redirect) = get("redirect_uri") else {
            return err_str(400, "invalid_request", "redirect_uri is required");
        };
        if get("response_type") != Some("code") {
            return err_str(
                400,
                "unsupported_response_type",
                "response_type must be code",
            );
        }
        if let Some(m) = get("code_challenge_method")
            && m != "S256"
        {
            return err_str(400, "invalid_request", "code_challenge_method must be S256");
        }
        let code = self.issue_authorization_code(get("code_challenge"), Some(redirect));
        let mut location = format!("{redirect}?code={}", encode_component(&code));
        if let Some(state) = get("state") {
            location.push_str("&state=");
            location.push_str(&encode_component(state));
        }
        IssuerReply::Redirect(location)
    }

    pub(crate) fn token(&self, fields: &[(String, String)]) -> IssuerReply {
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        self.lock().token_requests += 1;
        match get("grant_type") {
            Some("authorization_code") => {
                let Some(code) = get("code") else {
                    return err_str(400, "invalid_request", "code is required");
                };
                let grant = {
                    let mut st = self.lock();
                    match st.codes.remove(code) {
                        Some(g) => Some(g),
                        None if st.accept_any_code => None,
                        None => {
                            return err_str(
                                400,
                                "invalid_grant",
                                "authorization code is invalid or was already used",
                            );
                        }
                    }
                };
                if let Some(grant) = grant {
                    if let Some(ch) = &grant.challenge {
                        let ok = get("code_verifier").map(pkce_challenge).as_deref()
                            == Some(ch.as_str());
                        if !ok {
                            return err_str(400, "invalid_grant", "PKCE verification failed");
                        }
                    }
                    if let Some(r) = &grant.redirect_uri
                        && get("redirect_uri") != Some(r.as_str())
                    {
                        return err_str(400, "invalid_grant", "redirect_uri mismatch");
                    }
                }
                let set = self.issue_tokens();
                self.token_json(&set)
            }
            Some("refresh_token") => {
                let Some(rt) = get("refresh_token") else {
                    return err_str(400, "invalid_request", "refresh_token is required");
                };
                let mut st = self.lock();
                if !st.refresh_failures.is_empty() {
                    let f = st.refresh_failures.remove(0);
                    return match f {
                        RefreshFailure::Expired => err_obj(
                            401,
                            "refresh_token_expired",
                            "Your refresh token has expired.",
                        ),
                        RefreshFailure::Reused => err_obj(
                            401,
                            "refresh_token_reused",
                            "Your refresh token has already been used to generate a new access token.",
                        ),
                        RefreshFailure::Invalidated => err_obj(
                            401,
                            "refresh_token_invalidated",
                            "Your refresh token has been invalidated.",
                        ),
                        RefreshFailure::Status(s) => {
                            err_obj(s, "server_error", "The issuer is temporarily unavailable.")
                        }
                    };
                }
                if st.refresh_used.contains(rt) {
                    return err_obj(
                        401,
                        "refresh_token_reused",
                        "Your refresh token has already been used to generate a new access token. Please try signing in again.",
                    );
                }
                if st.refresh_expired.contains(rt) {
                    return err_obj(
                        401,
                        "refresh_token_expired",
                        "Your refresh token has expired. Please try signing in again.",
                    );
                }
                if st.refresh_invalidated.contains(rt) {
                    return err_obj(
                        401,
                        "refresh_token_invalidated",
                        "Your refresh token has been invalidated. Please try signing in again.",
                    );
                }
                if !st.refresh_active.remove(rt) {
                    return err_obj(401, "invalid_grant", "Unknown refresh token.");
                }
                st.refresh_used.insert(rt.to_owned());
                st.refresh_count += 1;
                drop(st);
                let set = self.issue_tokens();
                self.token_json(&set)
            }
            Some("urn:ietf:params:oauth:grant-type:token-exchange") => {
                if get("requested_token") != Some("openai-api-key") {
                    return err_str(
                        400,
                        "invalid_request",
                        "requested_token must be openai-api-key",
                    );
                }
                let Some(subject) = get("subject_token") else {
                    return err_str(400, "invalid_request", "subject_token is required");
                };
                if decode_jwt_claims(subject).is_none() {
                    return err_str(400, "invalid_grant", "subject_token is not a valid JWT");
                }
                let mut st = self.lock();
                let n = Self::next_id(&mut st);
                IssuerReply::Json(
                    200,
                    json!({
                        "access_token": format!("mock-api-key-{n:06}"),
                        "issued_token_type": "openai-api-key",
                        "token_type": "Bearer",
                    }),
                )
            }
            Some(other) => err_str(
                400,
                "unsupported_grant_type",
                &format!("unsupported grant_type: {other}"),
            ),
            None => err_str(400, "invalid_request", "grant_type is required"),
        }
    }

    fn token_json(&self, set: &TokenSet) -> IssuerReply {
        let lifetime = self.lock().access_lifetime.as_secs();
        IssuerReply::Json(
            200,
            json!({
                "id_token": set.id_token,
                "access_token": set.access_token,
                "refresh_token": set.refresh_token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "scope": "openid profile email offline_access",
            }),
        )
    }

    pub(crate) fn device_usercode(&self) -> IssuerReply {
        let mut st = self.lock();
        if !st.device_enabled {
            return IssuerReply::Json(404, json!({"detail": "Not Found"}));
        }
        let n = Self::next_id(&mut st);
        let device_auth_id = format!("deviceauth_mock_{n:06}");
        let user_code = format!("MOCK-{:04}", n % 10_000);
        st.devices.insert(
            device_auth_id.clone(),
            Device {
                user_code: user_code.clone(),
                polls: 0,
                verifier: format!("mock-device-verifier-{n:06}-{}", "x".repeat(40)),
            },
        );
        let interval = match st.interval_encoding {
            IntervalEncoding::String => json!(st.device_interval.to_string()),
            IntervalEncoding::Number => json!(st.device_interval),
        };
        IssuerReply::Json(
            200,
            json!({
                "device_auth_id": device_auth_id,
                "user_code": user_code,
                "interval": interval,
                "expires_at": rfc3339(SystemTime::now() + Duration::from_secs(900)),
            }),
        )
    }

    pub(crate) fn device_token(&self, body: &Value) -> IssuerReply {
        let id = body.get("device_auth_id").and_then(Value::as_str);
        let code = body.get("user_code").and_then(Value::as_str);
        let (Some(id), Some(code)) = (id, code) else {
            return err_str(
                400,
                "invalid_request",
                "device_auth_id and user_code are required",
            );
        };
        let mut st = self.lock();
        let pending = st.device_pending_polls;
        let Some(dev) = st.devices.get_mut(id) else {
            return err_str(400, "invalid_request", "unknown device_auth_id");
        };
        if dev.user_code != code {
            return err_str(400, "invalid_request", "user_code does not match");
        }
        if dev.polls < pending {
            dev.polls += 1;
            return IssuerReply::Json(
                403,
                json!({"error": {"code": "deviceauth_authorization_pending", "message": "authorization pending"}}),
            );
        }
        let verifier = dev.verifier.clone();
        st.devices.remove(id);
        drop(st);
        let challenge = pkce_challenge(&verifier);
        let redirect = format!("{}/deviceauth/callback", self.base);
        let code = self.issue_authorization_code(Some(&challenge), Some(&redirect));
        IssuerReply::Json(
            200,
            json!({
                "authorization_code": code,
                "code_challenge": challenge,
                "code_verifier": verifier,
            }),
        )
    }
}

/// Percent-encode a URL component (RFC 3986 unreserved characters pass through).
// An independent copy of codex-auth's `percent_encode`, kept on purpose: the mock is the check.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_roundtrip_and_shape() {
        let t = mint_jwt(json!({"exp": 5, "email": "a@b"}));
        assert_eq!(t.split('.').filter(|p| !p.is_empty()).count(), 3);
        assert_eq!(decode_jwt_claims(&t).unwrap()["exp"], 5);
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(rfc3339(t), "2026-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // leap day 2000
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn pkce_rfc7636_vector() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
