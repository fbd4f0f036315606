//! Machinery that makes wire objects lossless: typed fields, a flattened `extra` map for
//! keys this version does not know, explicit `null`s remembered, and unknown `type`s kept
//! as raw JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Map;
use serde_json::Value;

/// Keys that held an explicit JSON `null` in the decoded object; written back as `null`
/// unless the typed field was set since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NullKeys(Vec<String>);

/// A typed wire object with lossless decode and encode.
pub(crate) trait Lossless: Serialize + DeserializeOwned {
    fn nulls(&self) -> &NullKeys;
    fn nulls_mut(&mut self) -> &mut NullKeys;
    /// The `type` string to write back (only the compaction item overrides this).
    fn type_name(&self, canonical: &'static str) -> &'static str {
        canonical
    }
    /// Called with the `type` string the object was decoded from.
    fn set_type_name(&mut self, _name: &str) {}
}

/// Decodes `map` (its `type` key already checked) into `T`; on failure the original map is
/// handed back so the caller keeps it as an unknown value.
pub(crate) fn decode<T: Lossless>(map: Map<String, Value>, type_name: &str) -> Result<T, Value> {
    let mut work = map.clone();
    work.remove("type");
    let mut nulls = Vec::new();
    work.retain(|k, v| {
        if v.is_null() {
            nulls.push(k.clone());
            false
        } else {
            true
        }
    });
    match T::deserialize(Value::Object(work)) {
        Ok(mut t) => {
            *t.nulls_mut() = NullKeys(nulls);
            t.set_type_name(type_name);
            Ok(t)
        }
        Err(_) => Err(Value::Object(map)),
    }
}

/// Encodes `t` as a JSON object with its `type` key and remembered `null`s.
pub(crate) fn encode<T: Lossless>(
    t: &T,
    canonical: &'static str,
) -> Result<Map<String, Value>, serde_json::Error> {
    let mut map = match serde_json::to_value(t)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for k in &t.nulls().0 {
        map.entry(k.clone()).or_insert(Value::Null);
    }
    map.insert(
        "type".to_owned(),
        Value::String(t.type_name(canonical).to_owned()),
    );
    Ok(map)
}

/// Implements [`Lossless`] for structs with a `nulls: NullKeys` field.
macro_rules! impl_lossless {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::lossless::Lossless for $t {
            fn nulls(&self) -> &$crate::lossless::NullKeys { &self.nulls }
            fn nulls_mut(&mut self) -> &mut $crate::lossless::NullKeys { &mut self.nulls }
        }
    )*};
}
pub(crate) use impl_lossless;

/// Declares a public `#[non_exhaustive]` wire struct that keeps the keys this version does
/// not know in `extra` and remembers explicit `null`s, and implements [`Lossless`] for it.
/// Attributes given first (docs, a further `#[derive(Default)]`) go on the struct.
macro_rules! lossless_struct {
    ($(#[$m:meta])* $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $($body)*
            /// Keys this version does not know, kept verbatim.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
            #[serde(skip)]
            nulls: $crate::lossless::NullKeys,
        }
        $crate::lossless::impl_lossless!($name);
    };
}
pub(crate) use lossless_struct;

/// Declares a `type`-tagged wire enum whose unknown types (and known types whose fields do
/// not match) are kept as raw JSON in `Unknown`.
macro_rules! lossless_enum {
    (
        $(#[$m:meta])*
        $name:ident {
            $( $(#[$vm:meta])* $tag:literal $(| $alias:literal)* => $var:ident($ty:ty) ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $var($ty), )*
            /// A value of a type this version does not know (or whose fields did not match
            /// the known shape), kept verbatim and written back unchanged.
            Unknown(serde_json::Value),
        }

        impl $name {
            /// The wire `type` string of this value, as `ResponseEvent::kind` gives an
            /// event's (empty only for an unknown value without a string `type`).
            pub fn kind(&self) -> &str {
                match self {
                    $( $name::$var(x) => $crate::lossless::Lossless::type_name(x, $tag), )*
                    $name::Unknown(v) => v.get("type").and_then(|t| t.as_str()).unwrap_or(""),
                }
            }

            /// Decodes a JSON value; never fails (anything unrecognised becomes `Unknown`).
            pub fn from_value(value: serde_json::Value) -> Self {
                let map = match value {
                    serde_json::Value::Object(m) => m,
                    other => return $name::Unknown(other),
                };
                let tag = match map.get("type") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    _ => return $name::Unknown(serde_json::Value::Object(map)),
                };
                match tag.as_str() {
                    $(
                        $tag $(| $alias)* => match $crate::lossless::decode::<$ty>(map, &tag) {
                            Ok(x) => $name::$var(x),
                            Err(raw) => $name::Unknown(raw),
                        },
                    )*
                    _ => $name::Unknown(serde_json::Value::Object(map)),
                }
            }

            /// Encodes this value as JSON.
            pub fn to_value(&self) -> serde_json::Value {
                match self {
                    $( $name::$var(x) => match $crate::lossless::encode(x, $tag) {
                        Ok(m) => serde_json::Value::Object(m),
                        Err(_) => serde_json::Value::Null,
                    }, )*
                    $name::Unknown(v) => v.clone(),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( $name::$var(x) => {
                        let m = $crate::lossless::encode(x, $tag).map_err(serde::ser::Error::custom)?;
                        m.serialize(s)
                    } )*
                    $name::Unknown(v) => v.serialize(s),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                Ok($name::from_value(v))
            }
        }

    };
}
pub(crate) use lossless_enum;

/// Declares a string-valued wire enum that keeps unknown strings in `Other`.
macro_rules! string_enum {
    (
        $(#[$m:meta])*
        $name:ident {
            $( $(#[$vm:meta])* $var:ident = $s:literal $(| $alias:literal)* ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $var, )*
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$var => $s, )*
                    $name::Other(s) => s,
                }
            }

            /// Parses a wire string; never fails (unknown strings are kept in `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $s $(| $alias)* => $name::$var, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}
pub(crate) use string_enum;

/// Deserializes `T`, falling back to `T::default()` when the value has the wrong shape
/// (for lenient catalog and usage payloads).
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    Ok(T::deserialize(v).unwrap_or_default())
}

/// A lenient optional text field: a string as is, a number or boolean as its JSON text,
/// anything else (object, array, null) as `None`. Never fails on a well-formed value.
pub(crate) fn lenient_text<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    Ok(match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A lenient epoch-seconds field (`resets_at`): an integer, a float (truncated) or a string
/// holding either; a value outside the `i64` range, non-finite, or of another type is `None`.
/// Only the JSON leniency lives here: the seconds stay a number, and codex-client turns them
/// into a time with `codex_auth::unix_seconds` (this crate keeps no epoch or calendar maths).
pub(crate) fn lenient_epoch<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    Ok(epoch_of(&v))
}

/// See [`lenient_epoch`].
pub(crate) fn epoch_of(v: &Value) -> Option<i64> {
    let from_f64 = |f: f64| {
        // i64::MAX as f64 rounds up to 2^63, so the upper bound is exclusive.
        (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
            .contains(&f)
            .then(|| f.trunc() as i64)
    };
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            if n.is_u64() {
                None
            } else {
                n.as_f64().and_then(from_f64)
            }
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(from_f64))
        }
        _ => None,
    }
}

/// A lenient HTTP status field: an integer (or numeric string) in `100..=999`, else `None`.
pub(crate) fn lenient_status<'de, D>(d: D) -> Result<Option<u16>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = <Value as serde::Deserialize>::deserialize(d)?;
    let n = match &v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    Ok(n.filter(|n| (100..=999).contains(n))
        .and_then(|n| u16::try_from(n).ok()))
}

#[cfg(test)]
mod lenient_tests {
    use super::*;

    #[test]
    fn epoch_accepts_numbers_and_strings_and_rejects_the_rest() {
        let e = |s: &str| epoch_of(&serde_json::from_str::<Value>(s).unwrap());
        assert_eq!(e("1738888888"), Some(1_738_888_888));
        assert_eq!(e("1738888888.9"), Some(1_738_888_888));
        assert_eq!(e("\"1738888888\""), Some(1_738_888_888));
        assert_eq!(e("\"1738888888.5\""), Some(1_738_888_888));
        assert_eq!(e("-5"), Some(-5));
        assert_eq!(e("1e300"), None);
        assert_eq!(e("-1e300"), None);
        assert_eq!(e("18446744073709551615"), None);
        assert_eq!(e("\"soon\""), None);
        assert_eq!(e("\"NaN\""), None);
        assert_eq!(e("\"inf\""), None);
        assert_eq!(e("{}"), None);
        assert_eq!(e("null"), None);
    }
}
