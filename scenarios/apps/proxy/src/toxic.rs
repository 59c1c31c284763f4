//! Toxics as Toxiproxy's API spells them: parsed from its JSON and shown back in it.

use crate::error::ApiError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Toxiproxy's `stream`: upstream is client to server, downstream server to client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upstream,
    Downstream,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::Upstream => "upstream",
            Direction::Downstream => "downstream",
        })
    }
}

/// One toxic on a proxy, with Toxiproxy's attribute names and units.
#[derive(Debug, Clone, PartialEq)]
pub struct Toxic {
    pub name: String,
    pub stream: Direction,
    /// The chance, decided once per connection, that the toxic applies to it.
    pub toxicity: f32,
    pub kind: Kind,
}

/// The toxic types of the subset, each with its attributes (ms, KB/s or bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Latency { latency: u64, jitter: u64 },
    Bandwidth { rate: u64 },
    Timeout { timeout: u64 },
    ResetPeer { timeout: u64 },
    SlowClose { delay: u64 },
    LimitData { bytes: u64 },
}

/// The body of `POST /proxies/{name}/toxics`; every field but `type` may be left out.
/// Unknown fields are ignored, as Go's decoder in Toxiproxy does.
#[derive(Deserialize)]
struct Input {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    stream: Option<String>,
    toxicity: Option<f32>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

impl Toxic {
    /// Parses a toxic from the API's JSON body; errors are Toxiproxy's 400s.
    pub fn from_json(body: &[u8]) -> Result<Toxic, ApiError> {
        let input: Input =
            serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))?;
        let kind_name = input
            .kind
            .ok_or_else(|| ApiError::bad_request("missing required field: type".into()))?;
        let kind = Kind::parse(&kind_name, &input.attributes)?;
        let stream = match input.stream.as_deref() {
            None | Some("downstream") => Direction::Downstream,
            Some("upstream") => Direction::Upstream,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "stream was invalid, can be either upstream or downstream".into(),
                ))
            }
        };
        let toxicity = input.toxicity.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&toxicity) {
            return Err(ApiError::bad_request(format!(
                "toxicity must be between 0 and 1, got {toxicity}"
            )));
        }
        // Toxiproxy's default name: `<type>_<stream>`
        let name = input
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{kind_name}_{stream}"));
        Ok(Toxic {
            name,
            stream,
            toxicity,
            kind,
        })
    }

    /// Toxiproxy's JSON for the toxic.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind.type_name(),
            "stream": self.stream.to_string(),
            "toxicity": self.toxicity,
            "attributes": self.kind.attributes(),
        })
    }
}

impl Kind {
    fn parse(type_name: &str, attrs: &Map<String, Value>) -> Result<Kind, ApiError> {
        // Toxiproxy decodes into Go structs: a missing attribute is 0, an unknown one ignored
        let get = |key: &str| attribute(attrs, key);
        Ok(match type_name {
            "latency" => Kind::Latency {
                latency: get("latency")?,
                jitter: get("jitter")?,
            },
            "bandwidth" => Kind::Bandwidth { rate: get("rate")? },
            "timeout" => Kind::Timeout {
                timeout: get("timeout")?,
            },
            "reset_peer" => Kind::ResetPeer {
                timeout: get("timeout")?,
            },
            "slow_close" => Kind::SlowClose { delay: get("delay")? },
            "limit_data" => Kind::LimitData { bytes: get("bytes")? },
            _ => return Err(ApiError::bad_request("invalid toxic type".into())),
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Latency { .. } => "latency",
            Kind::Bandwidth { .. } => "bandwidth",
            Kind::Timeout { .. } => "timeout",
            Kind::ResetPeer { .. } => "reset_peer",
            Kind::SlowClose { .. } => "slow_close",
            Kind::LimitData { .. } => "limit_data",
        }
    }

    fn attributes(&self) -> Value {
        match *self {
            Kind::Latency { latency, jitter } => json!({"latency": latency, "jitter": jitter}),
            Kind::Bandwidth { rate } => json!({ "rate": rate }),
            Kind::Timeout { timeout } | Kind::ResetPeer { timeout } => {
                json!({ "timeout": timeout })
            }
            Kind::SlowClose { delay } => json!({ "delay": delay }),
            Kind::LimitData { bytes } => json!({ "bytes": bytes }),
        }
    }
}

fn attribute(attrs: &Map<String, Value>, key: &str) -> Result<u64, ApiError> {
    match attrs.get(key) {
        None => Ok(0),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| ApiError::bad_request(format!("attribute {key} must be a non-negative integer, got {v}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Toxic, ApiError> {
        Toxic::from_json(s.as_bytes())
    }

    #[test]
    fn defaults_are_toxiproxys() {
        let t = parse(r#"{"type":"latency","attributes":{"latency":200}}"#).unwrap();
        assert_eq!(t.name, "latency_downstream");
        assert_eq!(t.stream, Direction::Downstream);
        assert_eq!(t.toxicity, 1.0);
        assert_eq!(
            t.kind,
            Kind::Latency {
                latency: 200,
                jitter: 0
            }
        );
        assert_eq!(
            t.to_json(),
            json!({"name":"latency_downstream","type":"latency","stream":"downstream",
                   "toxicity":1.0,"attributes":{"latency":200,"jitter":0}})
        );
    }

    #[test]
    fn every_type_parses_its_attributes() {
        let cases = [
            (r#""bandwidth","attributes":{"rate":5}"#, Kind::Bandwidth { rate: 5 }),
            (r#""timeout","attributes":{"timeout":0}"#, Kind::Timeout { timeout: 0 }),
            (
                r#""reset_peer","attributes":{"timeout":7}"#,
                Kind::ResetPeer { timeout: 7 },
            ),
            (r#""slow_close","attributes":{"delay":9}"#, Kind::SlowClose { delay: 9 }),
            (r#""limit_data","attributes":{"bytes":3}"#, Kind::LimitData { bytes: 3 }),
        ];
        for (body, kind) in cases {
            let t = parse(&format!(r#"{{"stream":"upstream","type":{body}}}"#)).unwrap();
            assert_eq!(t.kind, kind);
            assert_eq!(t.stream, Direction::Upstream);
            assert_eq!(t.name, format!("{}_upstream", kind.type_name()));
        }
    }

    #[test]
    fn bad_input_is_a_400() {
        for body in [
            "not json",
            r#"{"attributes":{}}"#,
            r#"{"type":"nope"}"#,
            r#"{"type":"latency","stream":"sideways"}"#,
            r#"{"type":"latency","toxicity":1.5}"#,
            r#"{"type":"latency","attributes":{"latency":-1}}"#,
            r#"{"type":"latency","attributes":{"latency":"1"}}"#,
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.status, 400, "{body}");
        }
    }
}
