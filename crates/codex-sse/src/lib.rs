//! Zero-copy, WHATWG-exact Server-Sent Events parser: a sans-IO core and a thin Stream adapter.
