//! The command line of the `codex-mock` binary (not part of the library): `--help`, route
//! names and the values of `--auto-compact-limit`.

use codex_mock::Route;

use crate::spec::OPTIONS;
use crate::spec::SCENARIOS;
use crate::spec::parse_u64;

/// Route names for `--route`.
const ROUTES: &[(&str, Route)] = &[
    ("responses", Route::Responses),
    ("compact", Route::Compact),
    ("models", Route::Models),
    ("usage", Route::Usage),
    ("realtime-calls", Route::RealtimeCalls),
    ("trace-summarize", Route::TraceSummarize),
    ("token", Route::Token),
    ("revoke", Route::Revoke),
    ("authorize", Route::Authorize),
    ("device-usercode", Route::DeviceUserCode),
    ("device-token", Route::DeviceToken),
    ("settings-user", Route::SettingsUser),
    ("plugins-installed", Route::PluginsInstalled),
    ("plugins-list", Route::PluginsList),
    ("plugins-suggested", Route::PluginsSuggested),
    ("plugins-featured", Route::PluginsFeatured),
    ("mcp", Route::Mcp),
    ("analytics-events", Route::AnalyticsEvents),
];

pub(crate) fn usage() -> String {
    let mut s = String::from(
        "usage: codex-mock [--port N] [--tls] [--ca-out FILE] [--no-auth] [--codex-home DIR] [--log FILE]
                  [--auto-compact-limit [SLUG=]N] [--script FILE] [--websocket MODE] [--websocket-limit N]
                  [--websocket-close-after N] [--websocket-binary-after N]
                  [--route ROUTE] [--scenario SPEC [SPEC ...]]...

Serves 127.0.0.1 until Ctrl-C and prints the base URL on the first stdout line.
The Responses WebSocket is served on the /responses route too: --websocket accept (default),
upgrade-required (426), refuse (404), unavailable (503) or stall (no answer);
--websocket-limit N ends each connection's usefulness after N responses
(websocket_connection_limit_reached); --websocket-close-after N ends every response with a
Close frame after N text frames; --websocket-binary-after N sends a binary frame after N text
frames of every response.
Scenarios are queued in order for the current --route (default: responses) and used once
each; afterwards the route's built-in answer is served. Bad arguments exit with code 2.

SPEC is NAME[:ARG][,OPTION]... e.g. status:429,retry-after=3  replay:rec.sse,chunk=7,delay-ms=20

scenarios:
",
    );
    for (syntax, desc, _) in SCENARIOS {
        s.push_str(&format!("  {syntax:<22}{desc}\n"));
    }
    s.push_str("\noptions (any scenario):\n");
    for (syntax, desc) in OPTIONS {
        s.push_str(&format!("  {syntax:<22}{desc}\n"));
    }
    s.push_str("\nroutes: ");
    s.push_str(
        &ROUTES
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str(
        "

--port N        listen on port N (default: an ephemeral port)
--tls           HTTPS with a fresh test CA (printed on stderr)
--no-auth       accept any bearer token (default: only tokens this issuer minted)
--ca-out FILE   with --tls: write the test CA (PEM) to FILE before printing the URL
--codex-home D  write D/auth.json with tokens the issuer accepts (a fake login)
--log FILE      write one JSON line per request and WebSocket frame to FILE (secrets redacted)
--auto-compact-limit [SLUG=]N
                set auto_compact_token_limit of model SLUG (or of every model) to N
                tokens (`null`: unset)
--script FILE   a JSON array of {\"reply\": SPEC, \"route\"?: ROUTE, \"user_contains\"?: TEXT}:
                entries without user_contains are queued in order; with it, they answer
                every /responses request whose last user message contains TEXT
--route R       queue the following scenarios for route R",
    );
    s
}

pub(crate) fn route(name: &str) -> Result<Route, String> {
    ROUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .ok_or_else(|| {
            let names: Vec<&str> = ROUTES.iter().map(|(n, _)| *n).collect();
            format!("unknown route {name:?} (routes: {})", names.join(", "))
        })
}

/// `[SLUG=]N` of `--auto-compact-limit` (`N` may be `null`).
pub(crate) fn auto_compact_limit(v: &str) -> Result<(Option<String>, Option<u64>), String> {
    let (slug, n) = match v.split_once('=') {
        Some((slug, n)) if !slug.is_empty() => (Some(slug.to_owned()), n),
        Some(_) => return Err(format!("--auto-compact-limit {v:?}: empty model slug")),
        None => (None, v),
    };
    let limit = if n == "null" {
        None
    } else {
        Some(parse_u64("--auto-compact-limit", n)?)
    };
    Ok((slug, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_scenario_and_route() {
        let u = usage();
        for (syntax, _, _) in SCENARIOS {
            assert!(u.contains(syntax), "{syntax}");
        }
        for (name, _) in ROUTES {
            assert!(u.contains(name), "{name}");
        }
    }
}
