//! Typed schemas: JSON Schemas from Rust types ([`schemars`]) in the shape the backend's
//! strict mode accepts, for function tools ([`function_tool`]) and structured output
//! ([`crate::CodexClient::respond_typed`]).

use schemars::JsonSchema;
use serde_json::Map;
use serde_json::Value;

use crate::FunctionTool;

/// The strict-mode JSON Schema of `T`: every object has `additionalProperties: false` and
/// lists every property in `required`; an optional field (`Option<_>`) stays required and
/// accepts `null` instead. `$schema` and the root `title` are left out.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Args {
///     city: String,
///     days: Option<u8>,
/// }
/// let s = codex_backend::strict_schema::<Args>();
/// assert_eq!(s["additionalProperties"], false);
/// assert_eq!(s["required"], serde_json::json!(["city", "days"]));
/// ```
pub fn strict_schema<T: JsonSchema>() -> Value {
    let mut v = schemars::schema_for!(T).to_value();
    if let Value::Object(root) = &mut v {
        root.remove("$schema");
        root.remove("title");
    }
    make_strict(&mut v);
    v
}

/// A function tool whose parameters are the strict schema of `T` ([`strict_schema`]),
/// marked strict. Decode a call's arguments with
/// [`ToolCall::parsed_arguments::<T>`](crate::ToolCall::parsed_arguments).
pub fn function_tool<T: JsonSchema>(
    name: impl Into<String>,
    description: impl Into<String>,
) -> FunctionTool {
    FunctionTool::new(name, description, strict_schema::<T>()).strict(true)
}

/// A schema name the backend accepts (`^[a-zA-Z0-9_-]{1,64}$`) from a type's name.
pub(crate) fn schema_name<T: JsonSchema>() -> String {
    let name: String = T::schema_name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "output".to_owned()
    } else {
        name
    }
}

/// Rewrites every object schema in `v` (definitions included) for strict mode.
fn make_strict(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                map.insert("required".to_owned(), Value::Array(keys));
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            } else if map.get("type") == Some(&Value::String("object".to_owned()))
                && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            strip_defaults(map);
            for child in map.values_mut() {
                make_strict(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_strict),
        _ => {}
    }
}

/// The string formats strict mode knows; schemars' integer formats (`uint8`, …) are not.
const STRICT_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Strict mode refuses `default` (a serde default is schemars' only source of one) and
/// formats it does not know.
fn strip_defaults(map: &mut Map<String, Value>) {
    map.remove("default");
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !STRICT_FORMATS.contains(&f))
    {
        map.remove("format");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[derive(JsonSchema)]
    #[allow(dead_code, reason = "only its schema is used")]
    struct Inner {
        note: Option<String>,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code, reason = "only its schema is used")]
    struct Outer {
        city: String,
        days: Option<u8>,
        inner: Inner,
        list: Vec<Inner>,
    }

    #[test]
    fn every_object_is_closed_and_every_property_required() {
        let s = strict_schema::<Outer>();
        assert!(s.get("$schema").is_none());
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["city", "days", "inner", "list"]));
        // Optional fields are nullable.
        assert_eq!(s["properties"]["days"]["type"], json!(["integer", "null"]));
        assert!(s["properties"]["days"].get("format").is_none());
        // Nested definitions are strict too.
        let inner = &s["$defs"]["Inner"];
        assert_eq!(inner["additionalProperties"], false);
        assert_eq!(inner["required"], json!(["note"]));
        assert_eq!(
            inner["properties"]["note"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(schema_name::<Outer>(), "Outer");
        assert_eq!(schema_name::<Vec<Outer>>(), "Array_of_Outer");
    }
}
