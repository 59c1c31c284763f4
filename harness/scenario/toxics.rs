//! Validating a network fault's toxic: Toxiproxy's types, streams, toxicity and attribute
//! names and units, on the link to a `[[service]]` that names its port.

use super::error::did_you_mean;
use super::file::FaultFile;
use super::validate::Validator;
use super::{FaultKind, Toxic};
use std::collections::BTreeMap;

/// Longest delay or timeout a toxic may hold: ten minutes, in ms.
const MAX_MS: i64 = 600_000;
/// Highest rate (KB/s) and byte count a toxic may name.
const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Each network kind's attributes: (name, default, whether it must be given, maximum).
fn attributes(kind: FaultKind) -> &'static [(&'static str, i64, bool, i64)] {
    match kind {
        FaultKind::Latency => &[("latency", 0, true, MAX_MS), ("jitter", 0, false, MAX_MS)],
        FaultKind::Bandwidth => &[("rate", 0, true, MAX_AMOUNT)],
        FaultKind::Timeout | FaultKind::Reset => &[("timeout", 0, false, MAX_MS)],
        FaultKind::SlowClose => &[("delay", 0, true, MAX_MS)],
        FaultKind::LimitData => &[("bytes", 0, true, MAX_AMOUNT)],
        _ => &[],
    }
}

impl Validator<'_> {
    /// The toxic of a network fault (None for any other kind, after refusing its keys).
    pub(super) fn toxic(
        &mut self,
        field: &str,
        raw: &FaultFile,
        kind: Option<FaultKind>,
        dependency: bool,
    ) -> Option<Toxic> {
        let kind = kind?;
        if kind.toxic_type().is_none() {
            for (key, given) in [
                ("stream", raw.stream.is_some()),
                ("toxicity", raw.toxicity.is_some()),
                ("attributes", raw.attributes.is_some()),
            ] {
                if given {
                    self.problem(
                        &format!("{field}.{key}"),
                        format!("applies only to a network fault, not kind = \"{}\"", kind.as_str()),
                        Some("remove it, or use a network kind: latency, bandwidth, timeout, reset, slow_close, limit_data".into()),
                    );
                }
            }
            return None;
        }
        if !dependency {
            self.problem(
                &format!("{field}.target"),
                format!("a {} fault acts on the link from the app to a service, and \"{}\" is not a [[service]]", kind.as_str(), raw.target),
                Some("target a service by its name, e.g. target = \"redis\" (the client-to-replica link is not supported yet)".into()),
            );
        }
        let stream = self.stream(field, raw.stream.as_deref());
        let toxicity = self.toxicity(field, raw.toxicity);
        let attributes = self.toxic_attributes(field, kind, raw.attributes.as_ref());
        Some(Toxic {
            stream,
            toxicity,
            attributes,
        })
    }

    fn stream(&mut self, field: &str, stream: Option<&str>) -> String {
        match stream {
            None => "downstream".into(),
            Some(s @ ("upstream" | "downstream")) => s.into(),
            Some(other) => {
                self.problem(
                    &format!("{field}.stream"),
                    format!("unknown stream \"{other}\""),
                    Some("use \"downstream\" (service → app, the default) or \"upstream\" (app → service)".into()),
                );
                "downstream".into()
            }
        }
    }

    fn toxicity(&mut self, field: &str, toxicity: Option<f64>) -> f64 {
        match toxicity {
            None => 1.0,
            Some(t) if (0.0..=1.0).contains(&t) => t,
            Some(t) => {
                self.problem(
                    &format!("{field}.toxicity"),
                    format!("{t} is outside [0, 1]"),
                    Some("the probability that a connection gets the toxic, e.g. toxicity = 0.5".into()),
                );
                1.0
            }
        }
    }

    fn toxic_attributes(
        &mut self,
        field: &str,
        kind: FaultKind,
        given: Option<&BTreeMap<String, i64>>,
    ) -> BTreeMap<String, u64> {
        let known = attributes(kind);
        let names: Vec<&str> = known.iter().map(|a| a.0).collect();
        let empty = BTreeMap::new();
        let given = given.unwrap_or(&empty);
        for name in given.keys().filter(|k| !names.contains(&k.as_str())) {
            let hint = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!(
                    "did you mean \"{s}\"? a {} fault takes {}",
                    kind.as_str(),
                    names.join(", ")
                ),
                None => format!("a {} fault takes {}", kind.as_str(), names.join(", ")),
            };
            self.problem(&format!("{field}.attributes.{name}"), "unknown attribute", Some(hint));
        }
        let mut out = BTreeMap::new();
        for &(name, default, required, max) in known {
            let key = format!("{field}.attributes.{name}");
            if required && !given.contains_key(name) {
                self.problem(
                    &format!("{field}.attributes"),
                    format!("a {} fault needs `{name}`", kind.as_str()),
                    Some(format!(
                        "add e.g. attributes = {{ {name} = {} }} ({})",
                        example(name),
                        unit(name)
                    )),
                );
            }
            let v = self.int(&key, given.get(name).copied(), default, 0, max);
            out.insert(name.to_string(), v as u64);
        }
        out
    }
}

fn example(name: &str) -> u32 {
    match name {
        "rate" => 100,
        "bytes" => 1024,
        _ => 200,
    }
}

fn unit(name: &str) -> &'static str {
    match name {
        "rate" => "KB/s",
        "bytes" => "bytes",
        _ => "ms",
    }
}
