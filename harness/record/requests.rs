//! The requests of a trial, in a form whose size does not grow with the number of
//! successful requests: every failed request is kept raw (intended and done instants,
//! outcome, replica), and so is every successful request near a failure; the other
//! successful requests are kept per load window, as a count, the range of their intended
//! send times, their first completion and an HdrHistogram of their latencies.
//!
//! A successful request is either raw or in its window, never both, so any figure over a
//! span of intended time is the raw entries in the span plus the windows in it. The raw
//! neighbourhood of failures (see [`super::Compactor`]) is wide enough that every boundary
//! the analysis draws near a failure (fault instant, healthy, first failure) falls among raw
//! entries, where it is exact. A window whose successful requests straddle a boundary far
//! from any failure is assigned whole by the midpoint of its intended range (for latency)
//! or counted as if its requests were evenly spaced (for counts, which the open-loop
//! schedule makes true to within one request).

use super::Outcome;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The requests of one trial: raw entries (sorted by intended send time) plus the windows
/// of successful requests that are not raw.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RequestLog {
    /// Intended send time (the open-loop schedule), µs.
    pub intended_us: Vec<i64>,
    /// Completion time, µs; latency = done - intended (coordinated omission corrected).
    pub done_us: Vec<i64>,
    pub outcome: Vec<Outcome>,
    /// Index of the replica the request went to.
    pub replica: Vec<u16>,
    /// Width of the windows in `windows`, µs (0 when every request is raw).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub window_us: i64,
    /// Successful requests not kept raw, one entry per window holding any, by index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<OkWindow>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The successful requests of one window that are not kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OkWindow {
    /// The window covers intended send times [index × window_us, (index + 1) × window_us).
    pub index: i64,
    pub count: u64,
    /// Earliest and latest intended send time among them, µs.
    pub first_intended_us: i64,
    pub last_intended_us: i64,
    /// Earliest completion among them, µs.
    pub first_done_us: i64,
    /// Their latencies (µs from the intended send time).
    pub latency: EncodedHistogram,
}

/// An HdrHistogram in the V2 + DEFLATE encoding (that of latency.hlog), base64 in JSON.
/// Parsing only decodes the base64: [`super::RunRecord::check`] decodes each histogram
/// ([`EncodedHistogram::check`]) once the windows are counted against the record's plan, so
/// a crafted record's hundred thousand windows cost no inflating, and a record that was
/// read always decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedHistogram(Vec<u8>);

impl EncodedHistogram {
    pub fn encode(h: &Histogram<u64>) -> EncodedHistogram {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(h, &mut bytes)
            .expect("serialising a histogram into memory cannot fail");
        EncodedHistogram(bytes)
    }

    /// Decodes, after checking the header against [`MAX_HIST_DIGITS`], [`MAX_HIST_VALUE`] and
    /// the bytes present, and inflating at most [`MAX_HIST_INFLATED`] bytes: the decoder
    /// itself allocates whatever length and range a header claims.
    fn try_decode(bytes: &[u8]) -> Result<Histogram<u64>, Undecodable> {
        let plain = match be_u32(bytes, 0) {
            Some(V2_COMPRESSED_COOKIE) => {
                let len = be_u32(bytes, 4).ok_or(Undecodable::NoLength)? as usize;
                let present = bytes.len().saturating_sub(8);
                let deflated = bytes
                    .get(8..)
                    .filter(|b| b.len() == len)
                    .ok_or(Undecodable::Compressed { claimed: len, present })?;
                let mut inflated = Vec::new();
                flate2::read::ZlibDecoder::new(deflated)
                    .take(MAX_HIST_INFLATED as u64 + 1)
                    .read_to_end(&mut inflated)
                    .map_err(Undecodable::Inflate)?;
                if inflated.len() > MAX_HIST_INFLATED {
                    return Err(Undecodable::Inflated);
                }
                inflated
            }
            Some(V2_COOKIE) => bytes.to_vec(),
            _ => return Err(Undecodable::Cookie),
        };
        check_v2_header(&plain)?;
        Deserializer::new()
            .deserialize(&mut &plain[..])
            .map_err(Undecodable::Decode)
    }

    /// Why the encoding does not decode within bounds (see [`EncodedHistogram::decode`]).
    pub fn check(&self) -> Result<(), HistogramError> {
        Self::try_decode(&self.0).map(drop).map_err(HistogramError)
    }

    pub fn decode(&self) -> Histogram<u64> {
        Self::try_decode(&self.0).expect("an encoded histogram was checked when it was made or read")
    }

    /// Size of the encoding, bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// HdrHistogram V2 cookies (plain and DEFLATE-compressed), as the crate writes them.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// Most significant digits of a histogram read back (phoenix writes 3).
pub(crate) const MAX_HIST_DIGITS: u32 = 3;
/// Highest value a histogram read back may track, µs (about 12 days; latencies are bounded
/// by the request timeout).
pub(crate) const MAX_HIST_VALUE: u64 = 1 << 40;
/// Largest decoded (inflated) encoding of one histogram, bytes: every bucket of a 3-digit
/// histogram up to [`MAX_HIST_VALUE`] as a 9-byte varint is under 300 KiB.
pub(crate) const MAX_HIST_INFLATED: usize = 512 << 10;

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The V2 header (cookie, payload length, offset, digits, lowest, highest, ratio: 40 bytes)
/// within bounds, and its payload length that of the bytes after it.
fn check_v2_header(b: &[u8]) -> Result<(), Undecodable> {
    let (len, digits) = be_u32(b, 4).zip(be_u32(b, 12)).ok_or(Undecodable::Truncated)?;
    let (low, high) = be_u64(b, 16).zip(be_u64(b, 24)).ok_or(Undecodable::Truncated)?;
    if b.len() < 40 || len as usize != b.len() - 40 {
        let present = b.len().saturating_sub(40);
        return Err(Undecodable::Payload { claimed: len, present });
    }
    if !(1..=MAX_HIST_DIGITS).contains(&digits) || low < 1 || high > MAX_HIST_VALUE || high < low.saturating_mul(2) {
        return Err(Undecodable::Range { low, high, digits });
    }
    Ok(())
}

/// A window's histogram that does not decode within bounds ([`EncodedHistogram::check`]).
#[derive(Debug, thiserror::Error)]
#[error("not an HdrHistogram V2 encoding: {0}")]
pub struct HistogramError(#[source] pub Undecodable);

/// Why an encoding does not decode: what its bytes claim against what is there and the
/// bounds, or the cause the inflater or the decoder gave.
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    #[error("no compressed length")]
    NoLength,
    #[error("the header claims {claimed} compressed bytes, {present} are there")]
    Compressed { claimed: usize, present: usize },
    #[error("{0}")]
    Inflate(#[source] std::io::Error),
    #[error("it inflates past {MAX_HIST_INFLATED} bytes")]
    Inflated,
    #[error("not an HdrHistogram V2 cookie")]
    Cookie,
    #[error("a truncated header")]
    Truncated,
    #[error("the header claims {claimed} payload bytes, {present} are there")]
    Payload { claimed: u32, present: usize },
    #[error("its range ({low} to {high}, {digits} digits) is out of bounds (at most {MAX_HIST_VALUE}, {MAX_HIST_DIGITS} digits)")]
    Range { low: u64, high: u64, digits: u32 },
    /// The decoder's own error, as its `Debug` says it (it is the text records have shown).
    #[error("{0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
}

impl Serialize for EncodedHistogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for EncodedHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        // checked later, once counted (see the type's doc)
        Ok(EncodedHistogram(bytes))
    }
}

impl OkWindow {
    /// Intended-time midpoint of the window's requests: where the window goes when it
    /// straddles a boundary.
    pub(crate) fn midpoint_us(&self) -> i64 {
        self.first_intended_us + (self.last_intended_us - self.first_intended_us) / 2
    }

    /// How many of its requests were intended before `t`: exact unless `t` falls strictly
    /// inside their intended range, where they are taken as evenly spaced.
    pub(crate) fn count_before(&self, t: i64) -> u64 {
        if t <= self.first_intended_us {
            0
        } else if t > self.last_intended_us || self.count <= 1 {
            self.count
        } else {
            let span = i128::from(self.last_intended_us - self.first_intended_us);
            let steps = i128::from(self.count - 1);
            let num = i128::from(t - self.first_intended_us) * steps;
            // request j is at first + j·span/steps: those below t number ceil(num / span)
            ((num + span - 1) / span).clamp(0, i128::from(self.count)) as u64
        }
    }
}

impl RequestLog {
    /// Raw entries.
    pub fn raw_len(&self) -> usize {
        self.intended_us.len()
    }

    /// Every request, raw or in a window.
    pub fn sent(&self) -> u64 {
        self.raw_len() as u64 + self.windows.iter().map(|w| w.count).sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.intended_us.is_empty() && self.windows.is_empty()
    }

    /// Adds a raw entry (call [`RequestLog::sort`] after adding out of order).
    pub fn push(&mut self, intended_us: i64, done_us: i64, outcome: Outcome, replica: u16) {
        self.intended_us.push(intended_us);
        self.done_us.push(done_us);
        self.outcome.push(outcome);
        self.replica.push(replica);
    }

    /// Iterates over the raw entries as (intended, done, outcome, replica). Successful
    /// requests in `windows` are not among them.
    pub fn raw(&self) -> impl Iterator<Item = (i64, i64, Outcome, u16)> + '_ {
        (0..self.raw_len()).map(|i| (self.intended_us[i], self.done_us[i], self.outcome[i], self.replica[i]))
    }

    /// Raw entries whose intended time is in [from, to): an index range (the log is sorted).
    pub(crate) fn raw_between(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        let lo = self.intended_us.partition_point(|&t| t < from);
        let hi = self.intended_us.partition_point(|&t| t < to).max(lo);
        lo..hi
    }

    /// Sorts the raw entries by intended send time (requests complete out of order).
    pub fn sort(&mut self) {
        let mut idx: Vec<usize> = (0..self.raw_len()).collect();
        idx.sort_by_key(|&i| (self.intended_us[i], self.done_us[i]));
        self.intended_us = idx.iter().map(|&i| self.intended_us[i]).collect();
        self.done_us = idx.iter().map(|&i| self.done_us[i]).collect();
        self.outcome = idx.iter().map(|&i| self.outcome[i]).collect();
        self.replica = idx.iter().map(|&i| self.replica[i]).collect();
    }

    /// Requests (any outcome) intended in [from, to).
    pub(crate) fn count_between(&self, from: i64, to: i64) -> u64 {
        if to <= from {
            return 0;
        }
        let raw = self.raw_between(from, to).len() as u64;
        let windowed: u64 = self
            .windows
            .iter()
            .filter(|w| w.last_intended_us >= from && w.first_intended_us < to)
            .map(|w| w.count_before(to) - w.count_before(from))
            .sum();
        raw + windowed
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn a_histogram_is_decoded_only_within_its_bounds() {
        let mut h = crate::record::new_histogram();
        for v in [1, 500, 2_000_000] {
            crate::record::record_latency(&mut h, v);
        }
        let enc = EncodedHistogram::encode(&h);
        assert_eq!(EncodedHistogram::try_decode(&enc.0).unwrap().len(), 3);
        // a compressed length that is not the bytes present
        let mut lying = enc.0.clone();
        lying[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let e = EncodedHistogram::try_decode(&lying).unwrap_err();
        assert!(matches!(e, Undecodable::Compressed { .. }), "{e}");
        assert!(e.to_string().contains("compressed bytes"), "{e}");
        // a plain header claiming 4 GiB of payload, or a range past the bound
        let header = |len: u32, digits: u32, high: u64| {
            let mut b = Vec::new();
            b.extend(V2_COOKIE.to_be_bytes());
            b.extend(len.to_be_bytes());
            b.extend(0u32.to_be_bytes());
            b.extend(digits.to_be_bytes());
            b.extend(1u64.to_be_bytes());
            b.extend(high.to_be_bytes());
            b.extend(1.0f64.to_be_bytes());
            b
        };
        let e = EncodedHistogram::try_decode(&header(u32::MAX, 3, 1000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("the header claims {} payload bytes, 0 are there", u32::MAX)
        );
        let e = EncodedHistogram::try_decode(&header(0, 5, 1000)).unwrap_err();
        assert!(matches!(e, Undecodable::Range { digits: 5, .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "its range (1 to 1000, 5 digits) is out of bounds (at most 1099511627776, 3 digits)"
        );
        let e = EncodedHistogram::try_decode(&header(0, 3, MAX_HIST_VALUE + 1)).unwrap_err();
        assert!(e.to_string().contains("out of bounds"), "{e}");
        assert!(EncodedHistogram::try_decode(&header(0, 3, 1000)).is_ok());
    }
}
