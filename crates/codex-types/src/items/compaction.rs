//! The `compaction` item: opaque compacted history.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::lossless::NullKeys;

/// A `compaction` item: opaque compacted history, replayed as-is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Compaction {
    /// The compacted history.
    pub encrypted_content: String,
    /// Item id (`cmp_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Keys this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    nulls: NullKeys,
    /// True when decoded from the legacy `compaction_summary` type name.
    #[serde(skip)]
    legacy_name: bool,
}

impl crate::lossless::Lossless for Compaction {
    fn nulls(&self) -> &NullKeys {
        &self.nulls
    }
    fn nulls_mut(&mut self) -> &mut NullKeys {
        &mut self.nulls
    }
    fn type_name(&self, canonical: &'static str) -> &'static str {
        if self.legacy_name {
            "compaction_summary"
        } else {
            canonical
        }
    }
    fn set_type_name(&mut self, name: &str) {
        self.legacy_name = name == "compaction_summary";
    }
}

impl Compaction {
    /// A `compaction` item.
    pub fn new(encrypted_content: impl Into<String>) -> Self {
        Compaction {
            encrypted_content: encrypted_content.into(),
            id: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
            legacy_name: false,
        }
    }

    /// True when this item was decoded from the legacy `compaction_summary` type name (it
    /// is written back under that name).
    pub fn is_legacy_summary(&self) -> bool {
        self.legacy_name
    }
}
