//! Human durations in scenario files: `"10ms"`, `"1.5s"`, `"2m"`.

use std::time::Duration;

/// Parses `"<number><unit>"` with unit us, ms, s, m or h; the number may have a fraction.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("\"{text}\" has no unit; write e.g. \"{t}s\" or \"{t}ms\""))?;
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(format!(
            "\"{text}\" is not a duration; write a non-negative number and a unit, e.g. \"500ms\""
        ));
    }
    let value: f64 = num
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration; write e.g. \"500ms\""))?;
    let scale = match unit.trim() {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit \"{other}\" in \"{text}\"; use us, ms, s, m or h")),
    };
    let secs = value * scale;
    if !secs.is_finite() || secs > 7.0 * 86400.0 {
        return Err(format!("\"{text}\" is too long"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Formats a duration the way it would be written in a scenario file.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else if us.is_multiple_of(1_000) {
        format!("{}ms", us / 1_000)
    } else {
        format!("{us}us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_units() {
        assert_eq!(parse_duration("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 250us "), Ok(Duration::from_micros(250)));
    }

    #[test]
    fn rejects_missing_or_unknown_units_and_negatives() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
