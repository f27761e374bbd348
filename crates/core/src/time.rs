//! JupyterHub's timestamp format.

use chrono::{DateTime, Timelike, Utc};

/// `2026-11-23T19:27:24.022000Z`, or without the fraction when it is zero, as JupyterHub writes
/// naive UTC times (`isoformat() + "Z"`).
pub fn iso8601(time: &DateTime<Utc>) -> String {
    if time.nanosecond() / 1000 == 0 {
        time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn formats() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 23, 19, 27, 24).single();
        let cases = [
            (whole, "2026-11-23T19:27:24Z"),
            (
                whole.and_then(|t| t.with_nanosecond(22_000_000)),
                "2026-11-23T19:27:24.022000Z",
            ),
            (
                whole.and_then(|t| t.with_nanosecond(999)),
                "2026-11-23T19:27:24Z",
            ),
        ];
        for (time, expected) in cases {
            let time = time.unwrap_or_default();
            assert_eq!(iso8601(&time), expected);
        }
    }
}
