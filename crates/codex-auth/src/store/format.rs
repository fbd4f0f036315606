//! The `auth.json` format (section 10): the official CLI's schema, unknown keys kept.

use std::time::SystemTime;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;
use zeroize::Zeroize;

use crate::SecretString;
use crate::time::format_rfc3339;
use crate::time::parse_rfc3339;

/// The `auth_mode` value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// `apikey`
    ApiKey,
    /// `chatgpt`
    ChatGpt,
    /// Any other value (`chatgptAuthTokens`, `agentIdentity`, `personalAccessToken`, ...), kept.
    Other(String),
}

impl AuthMode {
    /// Parses the raw value.
    pub fn from_raw(raw: &str) -> Self {
        match raw {
            "apikey" => Self::ApiKey,
            "chatgpt" => Self::ChatGpt,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The raw value as written in `auth.json`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ApiKey => "apikey",
            Self::ChatGpt => "chatgpt",
            Self::Other(s) => s,
        }
    }
}

/// The `tokens` object of `auth.json`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenData {
    /// The raw id token (a JWT).
    pub id_token: SecretString,
    /// The access token (a JWT).
    pub access_token: SecretString,
    /// The refresh token (opaque, single-use: it rotates on every refresh).
    pub refresh_token: SecretString,
    /// The ChatGPT account id, when known.
    pub account_id: Option<String>,
    extra: Map<String, Value>,
}

impl TokenData {
    /// A token set.
    pub fn new(
        id_token: SecretString,
        access_token: SecretString,
        refresh_token: SecretString,
        account_id: Option<String>,
    ) -> Self {
        Self {
            id_token,
            access_token,
            refresh_token,
            account_id,
            extra: Map::new(),
        }
    }
}

impl std::fmt::Debug for TokenData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenData")
            .field("id_token", &self.id_token)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("account_id", &self.account_id)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The contents of `auth.json`, exactly the official CLI's schema. Keys this crate does not
/// know are kept and written back.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AuthFile {
    /// `auth_mode` (omitted when `None`).
    pub auth_mode: Option<AuthMode>,
    /// `OPENAI_API_KEY` (always written, `null` when `None`). On read, the lower-case
    /// `openai_api_key` older SDKs wrote is accepted too.
    pub openai_api_key: Option<SecretString>,
    /// `tokens` (omitted when `None`).
    pub tokens: Option<TokenData>,
    /// `last_refresh` (RFC 3339).
    pub last_refresh: Option<SystemTime>,
    extra: Map<String, Value>,
}

impl std::fmt::Debug for AuthFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFile")
            .field("auth_mode", &self.auth_mode)
            .field("openai_api_key", &self.openai_api_key)
            .field("tokens", &self.tokens)
            .field("last_refresh", &self.last_refresh.map(format_rfc3339))
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct RawTokens {
    id_token: String,
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct RawAuthFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_mode: Option<String>,
    #[serde(rename = "OPENAI_API_KEY", default)]
    openai_api_key: Option<String>,
    #[serde(rename = "openai_api_key", default, skip_serializing)]
    openai_api_key_lower: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<RawTokens>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_refresh: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// Why `auth.json` text could not be decoded. Never contains file contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFileError {
    /// Not JSON, or a key has the wrong type. Line and column of the problem.
    #[error("invalid JSON ({category}) at line {line} column {column}")]
    Json {
        /// `syntax`, `data` (a wrong type) or `eof`.
        category: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// `last_refresh` is not an RFC 3339 timestamp.
    #[error("last_refresh is not an RFC 3339 timestamp")]
    BadLastRefresh,
}

impl AuthFile {
    /// An `auth.json` for a ChatGPT login (`auth_mode: "chatgpt"`) refreshed at `now`.
    pub fn chatgpt(tokens: TokenData, api_key: Option<SecretString>, now: SystemTime) -> Self {
        Self {
            auth_mode: Some(AuthMode::ChatGpt),
            openai_api_key: api_key,
            tokens: Some(tokens),
            last_refresh: Some(now),
            extra: Map::new(),
        }
    }

    /// The effective mode: `auth_mode`, else API key when `OPENAI_API_KEY` is set, else ChatGPT.
    pub fn effective_mode(&self) -> AuthMode {
        match &self.auth_mode {
            Some(m) => m.clone(),
            None if self.openai_api_key.is_some() => AuthMode::ApiKey,
            None => AuthMode::ChatGpt,
        }
    }

    /// Names of the top-level keys this crate does not know (kept on rewrite).
    pub fn unknown_keys(&self) -> impl Iterator<Item = &str> {
        self.extra.keys().map(String::as_str)
    }

    /// Decodes `auth.json` text.
    pub fn from_json(bytes: &[u8]) -> std::result::Result<Self, AuthFileError> {
        let raw: RawAuthFile = serde_json::from_slice(bytes).map_err(|e| AuthFileError::Json {
            category: match e.classify() {
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
                serde_json::error::Category::Io => "io",
            },
            line: e.line(),
            column: e.column(),
        })?;
        let last_refresh = match raw.last_refresh.as_deref() {
            None => None,
            Some(s) => Some(parse_rfc3339(s).ok_or(AuthFileError::BadLastRefresh)?),
        };
        Ok(Self {
            auth_mode: raw.auth_mode.as_deref().map(AuthMode::from_raw),
            openai_api_key: raw
                .openai_api_key
                .or(raw.openai_api_key_lower)
                .map(SecretString::from),
            tokens: raw.tokens.map(|t| TokenData {
                id_token: t.id_token.into(),
                access_token: t.access_token.into(),
                refresh_token: t.refresh_token.into(),
                account_id: t.account_id,
                extra: t.extra,
            }),
            last_refresh,
            extra: raw.extra,
        })
    }

    /// Encodes as pretty JSON (two-space indent, trailing newline), the key order of the
    /// official CLI followed by preserved unknown keys.
    pub fn to_json(&self) -> Vec<u8> {
        let raw = RawAuthFile {
            auth_mode: self.auth_mode.as_ref().map(|m| m.as_str().to_owned()),
            openai_api_key: self.openai_api_key.as_ref().map(|k| k.expose().to_owned()),
            openai_api_key_lower: None,
            tokens: self.tokens.as_ref().map(|t| RawTokens {
                id_token: t.id_token.expose().to_owned(),
                access_token: t.access_token.expose().to_owned(),
                refresh_token: t.refresh_token.expose().to_owned(),
                account_id: t.account_id.clone(),
                extra: t.extra.clone(),
            }),
            last_refresh: self.last_refresh.map(format_rfc3339),
            extra: self.extra.clone(),
        };
        let mut out = serde_json::to_vec_pretty(&raw).unwrap_or_default();
        zeroize_raw(raw);
        out.push(b'\n');
        out
    }
}

fn zeroize_raw(mut raw: RawAuthFile) {
    if let Some(k) = raw.openai_api_key.as_mut() {
        k.zeroize();
    }
    if let Some(t) = raw.tokens.as_mut() {
        t.id_token.zeroize();
        t.access_token.zeroize();
        t.refresh_token.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: &str = r#"{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "h.eyJlbWFpbCI6ImFAYi5jIn0.s",
    "access_token": "h.eyJleHAiOjE3MDAwMDAwMDB9.s",
    "refresh_token": "rt_opaque",
    "account_id": "acc-1"
  },
  "last_refresh": "2026-01-02T03:04:05.123456Z"
}"#;

    #[test]
    fn reads_official_format_and_round_trips() {
        let a = AuthFile::from_json(OFFICIAL.as_bytes()).unwrap();
        assert_eq!(a.auth_mode, Some(AuthMode::ChatGpt));
        assert!(a.openai_api_key.is_none());
        let t = a.tokens.as_ref().unwrap();
        assert_eq!(t.refresh_token.expose(), "rt_opaque");
        assert_eq!(t.account_id.as_deref(), Some("acc-1"));
        let out = String::from_utf8(a.to_json()).unwrap();
        assert_eq!(out.trim_end(), OFFICIAL);
    }

    #[test]
    fn lower_case_key_and_unknown_keys() {
        let a = AuthFile::from_json(
            br#"{"openai_api_key":"sk-x","future":{"a":1},"tokens":null,"zeta":[1]}"#,
        )
        .unwrap();
        assert_eq!(a.openai_api_key.as_ref().unwrap().expose(), "sk-x");
        assert_eq!(a.effective_mode(), AuthMode::ApiKey);
        let v: Value = serde_json::from_slice(&a.to_json()).unwrap();
        assert_eq!(v["OPENAI_API_KEY"], "sk-x");
        assert!(v.get("openai_api_key").is_none());
        assert_eq!(v["future"]["a"], 1);
        assert_eq!(v["zeta"][0], 1);
        assert!(v.get("auth_mode").is_none());
        let keys: Vec<_> = a.unknown_keys().collect();
        assert_eq!(keys, ["future", "zeta"]);
    }

    #[test]
    fn errors_do_not_leak_contents() {
        let e = AuthFile::from_json(br#"{"tokens":"eyJsecret-token"}"#).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(matches!(
            e,
            AuthFileError::Json {
                category: "data",
                ..
            }
        ));
        let e = AuthFile::from_json(br#"{"last_refresh":"yesterday"}"#).unwrap_err();
        assert_eq!(e, AuthFileError::BadLastRefresh);
        assert!(AuthFile::from_json(b"").is_err());
        assert!(AuthFile::from_json(b"[]").is_err());
        assert!(AuthFile::from_json(b"\xff\xfe").is_err());
        let dbg = format!("{:?}", AuthFile::from_json(OFFICIAL.as_bytes()).unwrap());
        assert!(!dbg.contains("rt_opaque"), "{dbg}");
    }
}
