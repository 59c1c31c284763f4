//! Why a record read back is refused ([`Invalid`]): the first field [`super::RunRecord::check`]
//! finds out of its bound, by its path in record.json, and what is wrong with it; and the
//! bounds every part of the record is checked against (a range, a count, the trial clock).

use super::requests::HistogramError;
use super::MAX_CLOCK_US;
use std::ops::RangeInclusive;
use std::time::Duration;

/// A field of a record out of its bound: `field` is its path in record.json
/// (`trials[0].requests.windows`, `scenario.load.rate`).
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// A figure, a list or an instant out of its range.
    #[error("field `{field}`: {problem}")]
    Bound { field: String, problem: String },
    /// A window's latency histogram that does not decode within bounds.
    #[error("field `{field}`: {source}")]
    Histogram {
        field: String,
        #[source]
        source: HistogramError,
    },
    /// A check's journeys broken and verified, more than were set up.
    #[error("field `{field}` + `verified` ({broken} + {verified}) exceed `set_up` ({set_up})")]
    Journeys {
        field: String,
        broken: u64,
        verified: u64,
        set_up: u64,
    },
}

impl Invalid {
    /// `field` out of its bound: `problem` says how.
    pub(super) fn bound(field: impl Into<String>, problem: impl Into<String>) -> Invalid {
        Invalid::Bound {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The field's path in record.json.
    pub fn field(&self) -> &str {
        match self {
            Invalid::Bound { field, .. } | Invalid::Histogram { field, .. } | Invalid::Journeys { field, .. } => field,
        }
    }

    /// The same, found in trial `i` (its field named from the record's top).
    pub(super) fn in_trial(mut self, i: usize) -> Invalid {
        let (Invalid::Bound { field, .. } | Invalid::Histogram { field, .. } | Invalid::Journeys { field, .. }) =
            &mut self;
        *field = format!("trials[{i}].{field}");
        self
    }
}

/// A duration of the scenario or the plan within the scenario parser's range.
pub(super) fn within_d(field: &str, d: Duration, range: &RangeInclusive<Duration>) -> Result<(), Invalid> {
    if !range.contains(&d) {
        return Err(Invalid::bound(
            field,
            format!(
                "{} µs is out of range ({} to {} µs, as in a scenario file)",
                d.as_micros(),
                range.start().as_micros(),
                range.end().as_micros()
            ),
        ));
    }
    Ok(())
}

/// A count of the scenario or the plan within the scenario parser's range.
pub(super) fn within_n(field: &str, n: u32, range: RangeInclusive<u32>) -> Result<(), Invalid> {
    if !range.contains(&n) {
        return Err(Invalid::bound(
            field,
            format!(
                "{n} is out of range ({} to {}, as in a scenario file)",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

/// An instant on the trial clock.
pub(super) fn clock(field: &str, us: i64) -> Result<(), Invalid> {
    if !(-MAX_CLOCK_US..=MAX_CLOCK_US).contains(&us) {
        return Err(Invalid::bound(
            field,
            format!("{us} µs is more than a day from the trial's origin"),
        ));
    }
    Ok(())
}

/// A list of `len` entries against `max`; `why`: where the bound comes from, if anywhere
/// but a constant.
pub(super) fn at_most(field: &str, len: usize, max: usize, why: &str) -> Result<(), Invalid> {
    if len > max {
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" ({why})")
        };
        return Err(Invalid::bound(
            field,
            format!("{len} entries, over the limit of {max}{why}"),
        ));
    }
    Ok(())
}
