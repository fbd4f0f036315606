//! The stored login, read from `auth.json` with serde_json (only what recording needs).

use std::path::Path;
use std::path::PathBuf;

use codex_mock::scrub::Secret;
use serde_json::Value;

/// The stored login (only what recording needs).
pub struct Login {
    pub(super) access_token: String,
    pub(super) account_id: Option<String>,
    other_secrets: Vec<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").finish_non_exhaustive()
    }
}

impl Login {
    /// A login from explicit values (tests).
    #[cfg(test)]
    pub fn new(access_token: &str, account_id: Option<&str>) -> Login {
        Login {
            access_token: access_token.to_owned(),
            account_id: account_id.map(str::to_owned),
            other_secrets: Vec::new(),
        }
    }

    /// Read `<codex_home>/auth.json`.
    pub fn load(codex_home: &Path) -> Result<Login, String> {
        let path = codex_home.join("auth.json");
        let text =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let v: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
        let tokens = v
            .get("tokens")
            .ok_or_else(|| format!("{} has no tokens (log in first)", path.display()))?;
        let s = |k: &str| tokens.get(k).and_then(Value::as_str).map(str::to_owned);
        let access_token = s("access_token")
            .ok_or_else(|| format!("{} has no tokens.access_token", path.display()))?;
        let mut other_secrets: Vec<String> = ["id_token", "refresh_token"]
            .iter()
            .filter_map(|k| s(k))
            .collect();
        if let Some(key) = v.get("OPENAI_API_KEY").and_then(Value::as_str) {
            other_secrets.push(key.to_owned());
        }
        Ok(Login {
            access_token,
            account_id: s("account_id"),
            other_secrets,
        })
    }

    pub(super) fn secrets(&self) -> Vec<Secret> {
        let mut v = vec![Secret::new("access-token", &self.access_token)];
        if let Some(a) = &self.account_id {
            v.push(Secret::new("account-id", a));
        }
        for s in &self.other_secrets {
            v.push(Secret::new("token", s));
        }
        v
    }
}

/// The default `CODEX_HOME`.
pub fn default_codex_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CODEX_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".codex")
}
