//! The issuer's OAuth endpoints: authorize, token (code, refresh and device grants),
//! revoke and the device-code flow.

use std::time::Duration;
use std::time::SystemTime;

use serde_json::Value;
use serde_json::json;

use super::Device;
use super::IntervalEncoding;
use super::Issuer;
use super::RefreshFailure;
use super::TokenSet;
use super::claims::decode_jwt_claims;
use super::claims::encode_component;
use super::claims::pkce_challenge;
use super::claims::rfc3339;

/// A reply decided by the issuer: status and JSON body, or a redirect.
#[derive(Debug)]
pub(crate) enum IssuerReply {
    Json(u16, Value),
    Redirect(String),
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
