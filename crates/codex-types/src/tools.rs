//! Tool definitions (protocol §4.3). Lossless like items: unknown keys in `extra`, unknown
//! tool types kept verbatim in [`Tool::Unknown`].

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::lossless::NullKeys;
use crate::lossless::lossless_enum;
use crate::lossless::lossless_struct;

lossless_enum! {
    /// A tool the model may call.
    ///
    /// ```
    /// use codex_types::{Tool, FunctionTool, WebSearchTool};
    /// let schema = serde_json::json!({"type":"object","properties":{"n":{"type":"integer"}}});
    /// let tools = vec![
    ///     Tool::from(FunctionTool::new("lookup", "look a number up", schema)),
    ///     Tool::from(WebSearchTool::new().live(false)),
    /// ];
    /// let json = serde_json::to_value(&tools).unwrap();
    /// assert_eq!(json[1], serde_json::json!({"type":"web_search","external_web_access":false}));
    /// ```
    Tool {
        /// `function`: JSON-schema parameters.
        "function" => Function(FunctionTool),
        /// `custom`: freeform input, optionally constrained by a grammar `format`.
        "custom" => Custom(CustomTool),
        /// `local_shell`.
        "local_shell" => LocalShell(LocalShellTool),
        /// `web_search`: server-side search.
        "web_search" => WebSearch(WebSearchTool),
    }
}

lossless_struct! {
    /// A `function` tool.
    FunctionTool {
        /// Name the model calls.
        pub name: String,
        /// What it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Strict schema adherence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub strict: Option<bool>,
        /// JSON Schema of the arguments object.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parameters: Option<Value>,
    }
}

lossless_struct! {
    /// A `custom` (freeform) tool.
    CustomTool {
        /// Name the model calls.
        pub name: String,
        /// What it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Input format, e.g. `{"type":"grammar","syntax":"lark","definition":"…"}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub format: Option<Value>,
    }
}

lossless_struct! {
    /// The `local_shell` tool.
    #[derive(Default)]
    LocalShellTool {}
}

lossless_struct! {
    /// The server-side `web_search` tool.
    #[derive(Default)]
    WebSearchTool {
        /// `false` = cached index only, `true` = live access; `None` = server default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub external_web_access: Option<bool>,
        /// Domain filters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub filters: Option<WebSearchFilters>,
        /// Approximate user location.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user_location: Option<UserLocation>,
        /// `low`, `medium` or `high`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub search_context_size: Option<String>,
    }
}

/// `filters` of the web search tool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebSearchFilters {
    /// Only search these domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_domains: Option<Vec<String>>,
    /// Keys this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `user_location` of the web search tool (`type` is `approximate`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserLocation {
    /// Always `approximate` today.
    #[serde(rename = "type", default = "approximate")]
    pub kind: String,
    /// ISO country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Keys this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn approximate() -> String {
    "approximate".to_owned()
}

impl FunctionTool {
    /// A function tool (`strict: false`).
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        FunctionTool {
            name: name.into(),
            description: Some(description.into()),
            strict: Some(false),
            parameters: Some(parameters),
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// Sets `strict`.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }
}

impl CustomTool {
    /// A freeform tool without a format.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        CustomTool {
            name: name.into(),
            description: Some(description.into()),
            format: None,
            extra: Map::new(),
            nulls: NullKeys::default(),
        }
    }

    /// Sets the input `format` (e.g. a grammar).
    #[must_use]
    pub fn format(mut self, format: Value) -> Self {
        self.format = Some(format);
        self
    }
}

impl LocalShellTool {
    /// The local shell tool.
    pub fn new() -> Self {
        LocalShellTool::default()
    }
}

impl WebSearchTool {
    /// A web search tool with server defaults.
    pub fn new() -> Self {
        WebSearchTool::default()
    }

    /// `true` = live web access, `false` = cached index only (`external_web_access`).
    #[must_use]
    pub fn live(mut self, live: bool) -> Self {
        self.external_web_access = Some(live);
        self
    }

    /// Restricts the search to these domains (`filters.allowed_domains`).
    #[must_use]
    pub fn allowed_domains(mut self, domains: Vec<String>) -> Self {
        let mut f = self.filters.take().unwrap_or_default();
        f.allowed_domains = Some(domains);
        self.filters = Some(f);
        self
    }

    /// Sets the approximate user location.
    #[must_use]
    pub fn user_location(mut self, location: UserLocation) -> Self {
        self.user_location = Some(location);
        self
    }

    /// Sets `search_context_size` (`low`, `medium`, `high`).
    #[must_use]
    pub fn search_context_size(mut self, size: impl Into<String>) -> Self {
        self.search_context_size = Some(size.into());
        self
    }
}

impl UserLocation {
    /// An approximate location; fill the fields you know.
    pub fn approximate(
        country: Option<String>,
        region: Option<String>,
        city: Option<String>,
        timezone: Option<String>,
    ) -> Self {
        UserLocation {
            kind: approximate(),
            country,
            region,
            city,
            timezone,
            extra: Map::new(),
        }
    }
}

impl From<FunctionTool> for Tool {
    fn from(t: FunctionTool) -> Self {
        Tool::Function(t)
    }
}
impl From<CustomTool> for Tool {
    fn from(t: CustomTool) -> Self {
        Tool::Custom(t)
    }
}
impl From<LocalShellTool> for Tool {
    fn from(t: LocalShellTool) -> Self {
        Tool::LocalShell(t)
    }
}
impl From<WebSearchTool> for Tool {
    fn from(t: WebSearchTool) -> Self {
        Tool::WebSearch(t)
    }
}

impl Tool {
    /// The tool's name (function and custom tools).
    pub fn name(&self) -> Option<&str> {
        match self {
            Tool::Function(t) => Some(&t.name),
            Tool::Custom(t) => Some(&t.name),
            _ => None,
        }
    }

    /// True for the web search tool (also when kept as `Unknown` with type `web_search*`).
    pub fn is_web_search(&self) -> bool {
        match self {
            Tool::WebSearch(_) => true,
            Tool::Unknown(v) => v
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("web_search")),
            _ => false,
        }
    }
}
