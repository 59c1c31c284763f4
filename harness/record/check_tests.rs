//! The record checks against crafted records.

use super::*;
use crate::report::{fixture, json, Report};

#[test]
fn a_written_record_reads_back_and_each_bound_names_its_field() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("record.json");
    std::fs::write(&path, json::record(&Report::build(fixture::record())).unwrap()).unwrap();
    assert!(RunRecord::read(&path).is_ok());
    let mut r = fixture::record();
    r.trials[0].faults[0].issued_us = i64::MAX;
    assert!(r.check().unwrap_err().to_string().contains("trials[0].faults[0]"));
    let mut r = fixture::record();
    r.scenario.load.window = Duration::from_micros(1);
    assert!(r.check().unwrap_err().to_string().contains("scenario.load.window"));
    let mut r = fixture::record();
    r.trials[0].requests.intended_us.push(1);
    assert!(r.check().unwrap_err().to_string().contains("columns differ"));
    let mut r = fixture::record();
    r.trials = vec![TrialRecord::default(); MAX_TRIALS as usize + 1];
    assert!(r.check().unwrap_err().to_string().contains("`trials`"));
    let mut r = fixture::record();
    let c = &mut r.trials[0].checks[0];
    c.broken = c.set_up + 1 - c.verified;
    assert!(r.check().unwrap_err().to_string().contains("trials[0].checks[].broken"));
}

#[test]
fn host_readings_out_of_range_are_refused_by_field() {
    assert!(fixture::record().check().is_ok());
    let mut r = fixture::record();
    r.trials[1].host.samples[0].psi_some_avg10 = Some(250.0);
    assert!(r.check().unwrap_err().to_string().contains("trials[1].host.samples[0]"));
    let mut r = fixture::record();
    r.trials[0].host.samples[1].load1 = Some(1e300);
    assert!(r.check().unwrap_err().to_string().contains("host.samples[1]"));
    let mut r = fixture::record();
    r.trials[0].host.samples[0].at_us = i64::MIN;
    assert!(r.check().unwrap_err().to_string().contains("host.samples[0].at_us"));
    let mut r = fixture::record();
    r.trials[0].host.samples = vec![Default::default(); MAX_HOST_SAMPLES + 1];
    assert!(r.check().unwrap_err().to_string().contains("host.samples`"));
}

#[test]
fn a_crafted_floor_is_refused_by_field() {
    let r = fixture::record();
    assert!(r.floor.is_some(), "the fixture has a floor");
    assert!(r.check().is_ok());
    let mut r = fixture::record();
    r.floor.as_mut().unwrap().cycles = 1_000;
    assert!(r.check().unwrap_err().to_string().contains("floor.cycles"));
    // more samples than 2 × cycles × faults could make
    let mut r = fixture::record();
    let f = r.floor.as_mut().unwrap();
    let one = f.samples[0].clone();
    f.samples = vec![one; 100_000];
    assert!(r.check().unwrap_err().to_string().contains("floor.samples"));
    let mut r = fixture::record();
    r.floor.as_mut().unwrap().samples[0].time_to_healthy_us = Some(i64::MAX);
    assert!(r
        .check()
        .unwrap_err()
        .to_string()
        .contains("floor.samples[0].time_to_healthy_us"));
    let mut r = fixture::record();
    r.floor.as_mut().unwrap().notes = vec!["x".repeat(5000)];
    assert!(r.check().unwrap_err().to_string().contains("floor.notes[0]"));
}

#[test]
fn the_typed_refusal_keeps_its_field_and_prints_the_text_it_always_has() {
    let mut r = fixture::record();
    r.trials[1].requests.intended_us.push(1);
    let e = r.check().unwrap_err();
    assert_eq!(e.field(), "trials[1].requests");
    assert!(
        e.to_string()
            .starts_with("field `trials[1].requests`: its columns differ in length (intended_us "),
        "{e}"
    );
    let mut r = fixture::record();
    let c = &mut r.trials[0].checks[0];
    (c.set_up, c.broken, c.verified) = (3, 2, 2);
    let e = r.check().unwrap_err();
    assert!(matches!(e, Invalid::Journeys { set_up: 3, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "field `trials[0].checks[].broken` + `verified` (2 + 2) exceed `set_up` (3)"
    );
    // read from disk: the file's refusal, the typed cause kept
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("record.json");
    std::fs::write(&path, serde_json::to_vec(&r).unwrap()).unwrap();
    let e = RunRecord::read(&path).unwrap_err();
    let cause = std::error::Error::source(&e).and_then(|c| c.downcast_ref::<Invalid>());
    assert_eq!(cause.map(Invalid::field), Some("trials[0].checks[].broken"));
    assert_eq!(
        e.to_string(),
        format!(
            "'{}' is not a phoenix record.json: field `trials[0].checks[].broken` + `verified` (2 + 2) exceed `set_up` (3)\n  hint: give a run folder written by `phoenix run`, or a reports folder holding run folders",
            path.display()
        )
    );
}

#[test]
fn a_floor_instant_is_named_as_every_other_field() {
    let mut r = fixture::record();
    r.floor.as_mut().unwrap().cost_us = i64::MAX;
    let e = r.check().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "field `floor.cost_us`: {} µs is more than a day from the trial's origin",
            i64::MAX
        )
    );
}
