//! RFC 3339 timestamps (sans-IO), written the way the official CLI writes `last_refresh`.
//!
//! Formatting always uses UTC with a `Z` suffix and 0, 3, 6 or 9 fractional digits (as few as
//! represent the value exactly), like chrono's `AutoSi`. Parsing accepts `Z`/`z` or a numeric
//! offset (`+00:00`, `-05:30`), any number of fractional digits (kept to the nanosecond), and
//! `T`, `t` or a space between date and time.
//!
//! The workspace's one home for calendar and epoch maths: `codex-client` turns the epoch
//! seconds the server sends (`resets_at`) into times with [`unix_seconds`], and the CLI prints
//! times with [`format_rfc3339`]. `codex-types` (which does not depend on this crate) parses
//! HTTP dates with the `httpdate` crate rather than a copy of these functions; codex-mock keeps
//! its own independent copy on purpose (it is the independent check).

use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

/// Unix seconds as a time; `None` when negative or beyond what `SystemTime` holds (a
/// server's absurd `resets_at` never panics or wraps).
pub fn unix_seconds(secs: i64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Formats `t` as RFC 3339 in UTC.
pub fn format_rfc3339(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let mut secs = -i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            let mut nanos = d.subsec_nanos();
            if nanos > 0 {
                secs -= 1;
                nanos = 1_000_000_000 - nanos;
            }
            (secs, nanos)
        }
    };
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    let frac = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{frac}Z")
}

/// Parses an RFC 3339 timestamp. `None` when it is not one.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    if secs >= 0 {
        let d = Duration::new(u64::try_from(secs).ok()?, nanos);
        UNIX_EPOCH.checked_add(d)
    } else {
        let back = Duration::new(u64::try_from(-secs).ok()?, 0);
        UNIX_EPOCH
            .checked_sub(back)?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn unix_seconds_in_range_only() {
        assert_eq!(unix_seconds(0), Some(UNIX_EPOCH));
        assert_eq!(unix_seconds(1_738_888_888), Some(at(1_738_888_888, 0)));
        assert_eq!(unix_seconds(-1), None);
        // Beyond SystemTime on some platforms: never a panic.
        let _ = unix_seconds(i64::MAX);
    }

    #[test]
    fn formats_like_chrono_autosi() {
        assert_eq!(format_rfc3339(at(0, 0)), "1970-01-01T00:00:00Z");
        // 2026-01-02T03:04:05.123456Z
        let t = at(1_767_323_045, 123_456_000);
        assert_eq!(format_rfc3339(t), "2026-01-02T03:04:05.123456Z");
        assert_eq!(
            format_rfc3339(at(1_767_323_045, 5_000_000)),
            "2026-01-02T03:04:05.005Z"
        );
        assert_eq!(
            format_rfc3339(at(1_767_323_045, 1)),
            "2026-01-02T03:04:05.000000001Z"
        );
        assert_eq!(format_rfc3339(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let t = at(1_767_323_045, 123_456_000);
        assert_eq!(parse_rfc3339("2026-01-02T03:04:05.123456Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-02T03:04:05.123456+00:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-02t03:04:05.123456z"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-02T05:04:05.123456+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-01-01T22:04:05.123456-05:00"), Some(t));
        assert_eq!(
            parse_rfc3339("2026-01-02T03:04:05.1234567891Z"),
            Some(at(1_767_323_045, 123_456_789))
        );
        assert_eq!(
            parse_rfc3339("2026-01-02T03:04:05Z"),
            Some(at(1_767_323_045, 0))
        );
        assert_eq!(
            parse_rfc3339("1969-12-31T23:59:59.5Z"),
            UNIX_EPOCH.checked_sub(Duration::from_millis(500))
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-01-02",
            "2026-01-02T03:04:05",
            "2026-13-02T03:04:05Z",
            "2026-02-30T03:04:05Z",
            "2026-01-02T24:04:05Z",
            "2026-01-02T03:04:05.Z",
            "2026-01-02T03:04:05+0000",
            "2026-01-02T03:04:05Zjunk",
            "２０２6-01-02T03:04:05Z",
            "+026-01-02T03:04:05Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn round_trip_many() {
        let mut s: u64 = 1;
        for _ in 0..2000 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let secs = s % 8_000_000_000;
            let nanos = u32::try_from(s % 1_000_000_000).unwrap();
            let t = at(secs, nanos);
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }
}
