//! Time display: RFC 3339 (shared with `codex-auth`) and short relative durations.

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

/// RFC 3339 (UTC) for a Unix time in seconds (times before 1970 clamp to 1970; a time beyond
/// what `SystemTime` holds, e.g. a server's absurd `resets_at`, is printed as the raw number).
pub fn epoch_rfc3339(secs: i64) -> String {
    match codex_backend::auth::unix_seconds(secs.max(0)) {
        Some(t) => rfc3339(t),
        None => secs.to_string(),
    }
}

/// RFC 3339 (UTC) for a `SystemTime`, in whole seconds (`2026-01-01T00:00:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    // Whole seconds for display: drop the sub-second part (times before 1970 are kept as is).
    let t = t
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| UNIX_EPOCH.checked_add(Duration::from_secs(d.as_secs())))
        .unwrap_or(t);
    codex_backend::auth::format_rfc3339(t)
}

/// "in 59 min" / "3 h ago" relative to now.
pub fn relative(t: SystemTime) -> String {
    let now = SystemTime::now();
    match t.duration_since(now) {
        Ok(d) => format!("in {}", short(d)),
        Err(e) => format!("{} ago", short(e.duration())),
    }
}

fn short(d: Duration) -> String {
    let s = d.as_secs();
    if s < 90 {
        format!("{s} s")
    } else if s < 90 * 60 {
        format!("{} min", s / 60)
    } else if s < 48 * 3600 {
        format!("{} h", s / 3600)
    } else {
        format!("{} days", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(epoch_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(epoch_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(epoch_rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        // Beyond SystemTime: no panic.
        assert!(!epoch_rfc3339(i64::MAX).is_empty());
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_767_225_600_250)),
            "2026-01-01T00:00:00Z"
        );
    }
}
