//! The Markdown summary: its snapshot and its escaping.

use super::*;
use crate::report::fixture;

#[test]
fn summary_of_the_fixture() {
    let md = render(&Report::build(fixture::record())).unwrap();
    insta::assert_snapshot!(String::from_utf8(md).unwrap());
}

#[test]
fn what_was_not_measured_says_so_and_why() {
    let md = |r| String::from_utf8(render(&Report::build(r)).unwrap()).unwrap();
    let s = md(fixture::record_without_faults());
    assert!(s.contains("**untested** · score **0.0**"), "{s}");
    assert!(
        s.contains("- untested: the scenario has no fault, so no recovery was measured"),
        "{s}"
    );
    assert!(!s.contains("availability 100"), "an availability nothing measured: {s}");
    assert!(
        s.contains("| availability | 0.35 | 0.000 | not measured: the scenario has no fault"),
        "{s}"
    );
    let s = md(fixture::record_without_verifications());
    assert!(
        s.contains("| sessions | 20 | 20 | 0 | 0 | **20** | 0 | trials 1, 2: no verification ran"),
        "{s}"
    );
}

#[test]
fn escape_leaves_no_tag_and_no_markup() {
    let e = escape("<script>alert(1)</script> \"><img src=x onerror=alert(1)> | *x* [l](u)\nnext");
    assert!(!e.contains('<') && !e.contains('>'), "{e}");
    assert!(e.contains("\\|") && e.contains("\\*x\\*") && e.contains("\\[l\\]\\(u\\)"));
    assert!(!e.contains('\n'));
}
