//! A compose file's value, built from the budget pass's events (`budget::load`) so the file
//! is parsed once: serde_yaml 0.9's rules for plain scalars, copied.

use serde_yaml::{Mapping, Value};
use std::collections::HashMap;
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

/// Builds the value from the budget pass's events, resolving plain scalars as serde_yaml
/// 0.9 does (its rules, copied below: YAML 1.2's core schema). Anything it does not mirror
/// exactly — a tag, a repeated key (serde_yaml's error names it), an integer beyond 64
/// bits, more or fewer than one document — gives up, and serde_yaml parses the text.
#[derive(Default)]
pub(crate) struct Builder {
    open: Vec<(usize, Node)>,
    anchors: HashMap<usize, Value>,
    done: Option<Value>,
    documents: usize,
    gave_up: bool,
}

/// A list or mapping being built (a mapping with the key waiting for its value).
enum Node {
    Seq(Vec<Value>),
    Map(Mapping, Option<Value>),
}

impl Builder {
    pub(crate) fn event(&mut self, event: &Event) {
        if self.gave_up {
            return;
        }
        match event {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(v, style, anchor, tag) => match (tag, scalar(v, *style)) {
                (None, Some(value)) => self.push(*anchor, value),
                _ => self.gave_up = true,
            },
            Event::Alias(id) => match self.anchors.get(id) {
                Some(v) => self.push(0, v.clone()),
                None => self.gave_up = true,
            },
            Event::SequenceStart(anchor, None) => self.open.push((*anchor, Node::Seq(Vec::new()))),
            Event::MappingStart(anchor, None) => self.open.push((*anchor, Node::Map(Mapping::new(), None))),
            Event::SequenceEnd | Event::MappingEnd => match self.open.pop() {
                Some((anchor, Node::Seq(items))) => self.push(anchor, Value::Sequence(items)),
                Some((anchor, Node::Map(m, None))) => self.push(anchor, Value::Mapping(m)),
                _ => self.gave_up = true,
            },
            Event::SequenceStart(..) | Event::MappingStart(..) => self.gave_up = true,
            _ => {}
        }
    }

    /// Places a finished node in its parent (or as the document), keeping it by its anchor.
    fn push(&mut self, anchor: usize, value: Value) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.open.last_mut() {
            None if self.done.is_none() => self.done = Some(value),
            None => self.gave_up = true,
            Some((_, Node::Seq(items))) => items.push(value),
            Some((_, Node::Map(_, key @ None))) => *key = Some(value),
            Some((_, Node::Map(m, key))) => {
                let k = key.take().unwrap_or(Value::Null);
                if m.insert(k, value).is_some() {
                    self.gave_up = true;
                }
            }
        }
    }

    pub(crate) fn finish(self) -> Option<Value> {
        (!self.gave_up && self.documents == 1 && self.open.is_empty()).then_some(self.done?)
    }
}

/// A scalar as serde_yaml 0.9 makes it a `Value` (`visit_untagged_scalar`): quoted and
/// block scalars are strings; a plain one is null, a bool, an integer, a float or a
/// string, in that order. None: an integer beyond 64 bits (serde_yaml's own error).
fn scalar(v: &str, style: TScalarStyle) -> Option<Value> {
    if style != TScalarStyle::Plain {
        return Some(Value::String(v.to_string()));
    }
    if v.is_empty() || matches!(v, "null" | "Null" | "NULL" | "~") {
        return Some(Value::Null);
    }
    if let Some(b) = match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    } {
        return Some(Value::Bool(b));
    }
    if let Some(n) = unsigned(v, u64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if let Some(n) = negative(v, i64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if unsigned(v, u128::from_str_radix).is_some() || negative(v, i128::from_str_radix).is_some() {
        return None;
    }
    if !digits_but_not_number(v) {
        if let Some(f) = float(v) {
            return Some(Value::Number(f.into()));
        }
    }
    Some(Value::String(v.to_string()))
}

type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// serde_yaml's `parse_unsigned_int`.
fn unsigned<T>(v: &str, parse: Radix<T>) -> Option<T> {
    let unpositive = v.strip_prefix('+').unwrap_or(v);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = parse(rest, radix) {
                return Some(n);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(v) {
        return None;
    }
    parse(unpositive, 10).ok()
}

/// serde_yaml's `parse_negative_int`.
fn negative<T>(v: &str, parse: Radix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = v.strip_prefix(prefix) {
            if let Ok(n) = parse(&format!("-{rest}"), radix) {
                return Some(n);
            }
        }
    }
    if digits_but_not_number(v) {
        return None;
    }
    parse(v, 10).ok()
}

/// serde_yaml's `parse_f64`.
fn float(v: &str) -> Option<f64> {
    let unpositive = match v.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return None,
        Some(u) => u,
        None => v,
    };
    match (unpositive, v) {
        (".inf" | ".Inf" | ".INF", _) => return Some(f64::INFINITY),
        (_, "-.inf" | "-.Inf" | "-.INF") => return Some(f64::NEG_INFINITY),
        (_, ".nan" | ".NaN" | ".NAN") => return Some(f64::NAN.copysign(1.0)),
        _ => {}
    }
    unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Leading zeros then digits: a string in YAML 1.2 (serde_yaml's `digits_but_not_number`).
fn digits_but_not_number(v: &str) -> bool {
    let v = v.strip_prefix(['-', '+']).unwrap_or(v);
    v.len() > 1 && v.starts_with('0') && v[1..].bytes().all(|b| b.is_ascii_digit())
}
