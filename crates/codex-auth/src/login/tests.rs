//! Unit tests of the login helpers.

use super::device::parse_interval;
use super::server::html_escape;
use super::server::single;
use super::*;

#[test]
fn interval_string_or_number() {
    assert_eq!(
        parse_interval(Some(&Value::from("5"))),
        Duration::from_secs(5)
    );
    assert_eq!(
        parse_interval(Some(&Value::from(3))),
        Duration::from_secs(3)
    );
    assert_eq!(
        parse_interval(Some(&Value::from("x"))),
        Duration::from_secs(5)
    );
    assert_eq!(parse_interval(None), Duration::from_secs(5));
    assert_eq!(parse_interval(Some(&Value::from(0))), Duration::ZERO);
    assert_eq!(
        parse_interval(Some(&Value::from(-1))),
        Duration::from_secs(5)
    );
}

#[test]
fn single_param() {
    let p = vec![
        ("a".to_owned(), "1".to_owned()),
        ("a".to_owned(), "2".to_owned()),
    ];
    assert!(single(&p, "a").is_err());
    assert_eq!(single(&p, "b"), Ok(None));
    assert_eq!(
        html_escape("<a href='x'>&</a>"),
        "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
    );
}
