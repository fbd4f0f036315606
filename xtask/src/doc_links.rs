//! `cargo xtask doc-links [--no-build]`: intra-doc links that did not resolve in the facade's
//! rendered documentation.
//!
//! `rustdoc::broken_intra_doc_links` checks each crate's own docs, but the facade shows many
//! items re-exported from the layers (and from `schemars`) with their docs inlined; a link
//! there that rustdoc cannot place is rendered as its literal text (`[ErrorKind::Aborted]`),
//! with no warning. This builds the workspace's docs as CI does (`cargo doc --workspace
//! --no-deps`, so the layers' pages exist) and reads every page under
//! `target/doc/codex_backend`: any `[path]` or `` [`path`] `` left in the prose of a doc block
//! is an unresolved link, and so is a relative `href` naming a file that does not exist.
//! `--no-build` skips the workspace build (CI has just run it); the facade's pages are always
//! rendered once more, after the layers' (see `main`).

use std::path::Path;
use std::path::PathBuf;

/// The crate whose rendered docs are checked.
const CRATE: &str = "codex_backend";
/// Its package.
const CRATE_PACKAGE: &str = "codex-backend";

pub fn main(args: &[String]) -> Result<(), String> {
    let mut build = true;
    for a in args {
        match a.as_str() {
            "--no-build" => build = false,
            other => return Err(format!("unknown doc-links argument {other}")),
        }
    }
    if build {
        let mut c = crate::cargo();
        c.args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings");
        crate::run(c)?;
    }
    // With `--no-deps` cargo does not order the members' rustdoc runs, and rustdoc links to
    // another crate only when that crate's pages already exist: the facade's pages can have
    // been rendered before the layers'. Render them again now that every member's pages
    // exist (other RUSTDOCFLAGS than the build above, so cargo runs rustdoc again).
    let mut c = crate::cargo();
    c.args([
        "rustdoc",
        "-p",
        CRATE_PACKAGE,
        "--lib",
        "--features",
        "mock",
    ])
    .env("RUSTDOCFLAGS", "--cap-lints=warn")
    .env_remove("CARGO_ENCODED_RUSTDOCFLAGS");
    crate::run(c)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"));
    let dir = target.join("doc").join(CRATE);
    let problems = check_dir(&dir)?;
    if problems.is_empty() {
        eprintln!("doc-links: every link in {} resolves", dir.display());
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    Err(format!(
        "{} unresolved doc link(s) in {}",
        problems.len(),
        dir.display()
    ))
}

/// Every problem of every `.html` page under `dir`, as `page: problem`.
fn check_dir(dir: &Path) -> Result<Vec<String>, String> {
    let mut pages = Vec::new();
    collect_pages(dir, &mut pages)?;
    if pages.is_empty() {
        return Err(format!(
            "no rendered docs in {}: run cargo doc first",
            dir.display()
        ));
    }
    pages.sort();
    let mut problems = Vec::new();
    for page in pages {
        // `src/` holds the rendered sources, not docs.
        if page.strip_prefix(dir).is_ok_and(|p| p.starts_with("src")) {
            continue;
        }
        let html = std::fs::read_to_string(&page)
            .map_err(|e| format!("cannot read {}: {e}", page.display()))?;
        let shown = page
            .strip_prefix(dir)
            .unwrap_or(&page)
            .display()
            .to_string();
        for text in unresolved_links(&html) {
            problems.push(format!("{shown}: unresolved link {text}"));
        }
        let base = page.parent().unwrap_or(dir);
        for href in relative_hrefs(&html) {
            if !base.join(&href).exists() {
                problems.push(format!("{shown}: link to a missing page {href}"));
            }
        }
    }
    Ok(problems)
}

fn collect_pages(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_pages(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    Ok(())
}

/// The contents of every `<div class="docblock…">` of a page (nested divs included).
fn docblocks(html: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<div class=\"docblock") {
        let Some(open_end) = rest[start..].find('>') else {
            break;
        };
        let body_start = start + open_end + 1;
        let mut depth = 1usize;
        let mut i = body_start;
        let mut end = rest.len();
        while i < rest.len() {
            let tail = &rest[i..];
            if tail.starts_with("<div") {
                depth += 1;
                i += 4;
            } else if tail.starts_with("</div>") {
                depth -= 1;
                if depth == 0 {
                    end = i;
                    break;
                }
                i += 6;
            } else {
                i += tail.chars().next().map_or(1, char::len_utf8);
            }
        }
        blocks.push(&rest[body_start..end]);
        rest = &rest[end.min(rest.len())..];
        if end == html.len() {
            break;
        }
    }
    blocks
}

/// Removes every `<tag …>…</tag>` element (with its contents).
fn remove_elements(s: &str, tag: &str) -> String {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(&open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(&close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of `html` without tags, with the common entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// True for the text of an intra-doc link: a Rust path, maybe in backticks, maybe with `()`
/// or `!` (`Error::kind`, `` `crate::ErrorKind::Aborted` ``, `vec!`).
fn looks_like_link(inner: &str) -> bool {
    let path = inner.trim_matches('`');
    let path = path.strip_suffix("()").unwrap_or(path);
    let path = path.strip_suffix('!').unwrap_or(path);
    !path.is_empty()
        && path.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !path.ends_with(':')
}

/// The literal `[…]` link texts left in the prose of a page's doc blocks: rustdoc turns a
/// link it resolved into an `<a>` and leaves one it could not place as its text.
pub fn unresolved_links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for block in docblocks(html) {
        let block = remove_elements(block, "pre");
        // A code span inside brackets is how an unresolved [`Path`] renders; any other code
        // span is code, whose brackets mean nothing.
        let block = block.replace("[<code>", "[`").replace("</code>]", "`]");
        let block = remove_elements(&block, "code");
        let text = text_of(&block);
        let mut rest = text.as_str();
        while let Some(i) = rest.find('[') {
            let after = &rest[i + 1..];
            let Some(j) = after.find(']') else { break };
            let inner = &after[..j];
            // `[text](url)` that rustdoc left alone would be followed by `(`.
            if looks_like_link(inner) && !after[j + 1..].starts_with('(') {
                found.push(format!("[{inner}]"));
            }
            rest = &after[j + 1..];
        }
    }
    found
}

/// The relative `href`s of a page's doc blocks (no scheme, no pure fragment), without their
/// fragment or query.
pub fn relative_hrefs(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for block in docblocks(html) {
        let mut rest = block;
        while let Some(i) = rest.find("href=\"") {
            let after = &rest[i + 6..];
            let Some(j) = after.find('"') else { break };
            let href = &after[..j];
            rest = &after[j..];
            if href.is_empty() || href.starts_with('#') || href.contains("://") {
                continue;
            }
            if href.starts_with("mailto:") {
                continue;
            }
            let path = href.split(['#', '?']).next().unwrap_or_default();
            if !path.is_empty() {
                found.push(path.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><pre class="rust item-decl"><code>#[non_exhaustive]
pub struct AbortHandle</code></pre>
<div class="docblock"><p>Stops a request: the stream ends with [<code>crate::ErrorKind::Aborted</code>]
(see [<code>Error::partial_text</code>] and [RetryPolicy]). Resolved: <a href="enum.ErrorKind.html#variant.Aborted"><code>ErrorKind::Aborted</code></a>;
a JSON array <code>include: ["reasoning.encrypted_content"]</code>, a regex [A-Za-z0-9_-] and a
markdown link [text](https://example.com) are not links; <a href="missing.html">here</a>.</p>
<div class="example-wrap"><pre class="rust"><code>let v = [x];</code></pre></div></div>
<div class="docblock item-decl">[<code>after_nested</code>]</div></html>"#;

    #[test]
    fn finds_the_link_texts_rustdoc_left_literal() {
        assert_eq!(
            unresolved_links(PAGE),
            [
                "[`crate::ErrorKind::Aborted`]",
                "[`Error::partial_text`]",
                "[RetryPolicy]",
                "[`after_nested`]"
            ]
        );
    }

    #[test]
    fn a_page_whose_links_resolved_is_clean() {
        let ok = r#"<div class="docblock"><p>See <a href="struct.Error.html"><code>Error</code></a>, <code>[1, 2]</code>.</p></div>"#;
        assert!(unresolved_links(ok).is_empty());
    }

    #[test]
    fn lists_relative_hrefs() {
        assert_eq!(
            relative_hrefs(PAGE),
            ["enum.ErrorKind.html", "missing.html"]
        );
    }

    #[test]
    fn a_broken_link_fails_the_check_of_a_directory() {
        let dir = std::env::temp_dir().join(format!("doc-links-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap_or_default();
        std::fs::write(dir.join("enum.ErrorKind.html"), "<html></html>").unwrap_or_default();
        std::fs::write(dir.join("src").join("lib.rs.html"), PAGE).unwrap_or_default();
        std::fs::write(
            dir.join("ok.html"),
            r#"<div class="docblock"><a href="enum.ErrorKind.html">x</a></div>"#,
        )
        .unwrap_or_default();
        assert_eq!(check_dir(&dir), Ok(Vec::new()));
        std::fs::write(dir.join("struct.AbortHandle.html"), PAGE).unwrap_or_default();
        let problems = check_dir(&dir).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("struct.AbortHandle.html: unresolved link"));
        assert!(
            problems
                .iter()
                .any(|p| p.ends_with("missing page missing.html"))
        );
    }
}
