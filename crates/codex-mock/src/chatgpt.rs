//! ChatGPT-side routes the official client calls at start-up (protocol §14.1): user settings,
//! plugin discovery, the hosted MCP endpoint, and its analytics events. Each answers in the shape the official client
//! decodes, with nothing in it: no plugins, no MCP tools.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use serde_json::json;

use crate::RecordedRequest;
use crate::Route;
use crate::server::MockBody;
use crate::server::Shared;
use crate::server::detail;
use crate::server::fixed;
use crate::server::json_response;
use crate::server::reply_or;

/// The MCP protocol revision answered when the client names none.
pub const MCP_PROTOCOL_VERSION: &str = "2025-06-18";

/// The route of a ChatGPT-side request handled here, if it is one.
pub(crate) fn route_of(method: &str, path: &str) -> Option<Route> {
    Some(match (method, path) {
        ("GET", "/backend-api/wham/settings/user") => Route::SettingsUser,
        ("GET", "/backend-api/ps/plugins/installed") => Route::PluginsInstalled,
        ("GET", "/backend-api/ps/plugins/list") => Route::PluginsList,
        ("GET", "/backend-api/ps/plugins/suggested/codex") => Route::PluginsSuggested,
        ("GET", "/backend-api/plugins/featured") => Route::PluginsFeatured,
        (_, "/backend-api/ps/mcp") => Route::Mcp,
        ("POST", "/backend-api/codex/analytics-events/events") => Route::AnalyticsEvents,
        _ => return None,
    })
}

/// Whether `route` is served by this module.
pub(crate) fn handles(route: Route) -> bool {
    matches!(
        route,
        Route::SettingsUser
            | Route::PluginsInstalled
            | Route::PluginsList
            | Route::PluginsSuggested
            | Route::PluginsFeatured
            | Route::Mcp
            | Route::AnalyticsEvents
    )
}

/// `GET wham/settings/user`: a plausible settings object.
pub fn user_settings() -> Value {
    json!({"commit_attribution_enabled": false})
}

/// An empty page of plugins (`ps/plugins/installed`, `ps/plugins/list`).
pub fn plugin_page() -> Value {
    json!({"plugins": [], "pagination": {"limit": 200, "next_page_token": null}})
}

/// `ps/plugins/suggested/codex`: no suggestions.
pub fn suggested_plugins() -> Value {
    json!({"enabled": false, "plugins": []})
}

/// The answer to one JSON-RPC 2.0 message on `ps/mcp`; `None` for a notification (no `id`).
///
/// `initialize` gets a result with empty `capabilities`; the list methods get empty lists and
/// `ping` an empty result; any other method the JSON-RPC error -32601, and a message that is not
/// a request -32600.
pub fn mcp_answer(message: &Value) -> Option<Value> {
    let Some(obj) = message.as_object() else {
        return Some(rpc_error(&Value::Null, -32600, "Invalid Request"));
    };
    let id = obj.get("id")?.clone();
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Some(rpc_error(&id, -32600, "Invalid Request"));
    };
    let result = match method {
        "initialize" => {
            let version = obj
                .get("params")
                .and_then(|p| p.get("protocolVersion"))
                .and_then(Value::as_str)
                .unwrap_or(MCP_PROTOCOL_VERSION);
            json!({
                "protocolVersion": version,
                "capabilities": {},
                "serverInfo": {"name": "codex-mock", "version": env!("CARGO_PKG_VERSION")},
            })
        }
        "ping" => json!({}),
        "tools/list" => json!({"tools": []}),
        "resources/list" => json!({"resources": []}),
        "resources/templates/list" => json!({"resourceTemplates": []}),
        "prompts/list" => json!({"prompts": []}),
        other => {
            return Some(rpc_error(
                &id,
                -32601,
                &format!("Method not found: {other}"),
            ));
        }
    };
    Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn mcp(req: &RecordedRequest) -> http::Response<MockBody> {
    if req.method != "POST" {
        let mut r = detail(405, "Method Not Allowed");
        if let Ok(v) = http::HeaderValue::from_str("POST") {
            r.headers_mut().insert(http::header::ALLOW, v);
        }
        return r;
    }
    let Some(body) = req.json() else {
        return json_response(200, &rpc_error(&Value::Null, -32700, "Parse error"));
    };
    let answer = match &body {
        Value::Array(batch) => {
            let answers: Vec<Value> = batch.iter().filter_map(mcp_answer).collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        single => mcp_answer(single),
    };
    match answer {
        Some(a) => json_response(200, &a),
        // Notifications and responses only: accepted, nothing to say (MCP streamable HTTP).
        None => fixed(202, "application/json", Bytes::new()),
    }
}

/// Serve one of [`handles`]'s routes (auth already checked): a queued reply or the built-in one.
pub(crate) async fn serve(
    shared: &Arc<Shared>,
    route: Route,
    req: &RecordedRequest,
    n: u64,
) -> http::Response<MockBody> {
    reply_or(shared, route, n, || match route {
        Route::SettingsUser => json_response(200, &user_settings()),
        Route::PluginsInstalled | Route::PluginsList => json_response(200, &plugin_page()),
        Route::PluginsSuggested => json_response(200, &suggested_plugins()),
        Route::PluginsFeatured => json_response(200, &json!([])),
        Route::Mcp => mcp(req),
        Route::AnalyticsEvents => json_response(200, &json!({})),
        _ => detail(404, "Not Found"),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_methods() {
        let init = mcp_answer(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}}))
        .unwrap();
        assert_eq!(init["id"], 1);
        assert_eq!(init["result"]["protocolVersion"], "2025-03-26");
        assert_eq!(init["result"]["capabilities"], json!({}));
        assert_eq!(
            mcp_answer(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
            None
        );
        assert_eq!(
            mcp_answer(&json!({"jsonrpc": "2.0", "id": "a", "method": "tools/list"})).unwrap()["result"]
                ["tools"],
            json!([])
        );
        let err = mcp_answer(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call"})).unwrap();
        assert_eq!(err["error"]["code"], -32601);
        assert_eq!(err["id"], 7);
        assert_eq!(mcp_answer(&json!(3)).unwrap()["error"]["code"], -32600);
    }
}
