//! JupyterHub's timestamp format.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// `2026-11-23T19:27:24.022000Z`, or without the fraction when it is zero, as JupyterHub writes
/// naive UTC times (`isoformat() + "Z"`).
pub fn iso8601(time: &DateTime<Utc>) -> String {
    let mut buf = [0u8; ISO_MAX];
    match write_fast(time, &mut buf) {
        Some(text) => text.to_owned(),
        None => slow(time),
    }
}

/// A timestamp that serializes as [`iso8601`] without allocating: a page of user models has
/// hundreds of them, and chrono's `format` parses its pattern and builds a `String` each time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601(pub DateTime<Utc>);

impl Serialize for Iso8601 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; ISO_MAX];
        match write_fast(&self.0, &mut buf) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_str(&slow(&self.0)),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
const ISO_MAX: usize = 27;

/// chrono's formatting, for what [`write_fast`] leaves to it.
fn slow(time: &DateTime<Utc>) -> String {
    if time.nanosecond() / 1000 == 0 {
        time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

/// The common case by hand: years 0 to 9999 and no leap second (chrono writes a sign for
/// other years and second 60 for a leap second; those go to [`slow`]).
fn write_fast<'a>(time: &DateTime<Utc>, buf: &'a mut [u8; ISO_MAX]) -> Option<&'a str> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let digits = |buf: &mut [u8], mut value: u32| {
        for slot in buf.iter_mut().rev() {
            // `value % 10` is a digit, so the cast cannot truncate.
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], time.month());
    buf[7] = b'-';
    digits(&mut buf[8..10], time.day());
    buf[10] = b'T';
    digits(&mut buf[11..13], time.hour());
    buf[13] = b':';
    digits(&mut buf[14..16], time.minute());
    buf[16] = b':';
    digits(&mut buf[17..19], time.second());
    let micros = nanos / 1000;
    let end = if micros == 0 {
        19
    } else {
        buf[19] = b'.';
        digits(&mut buf[20..26], micros);
        26
    };
    buf[end] = b'Z';
    std::str::from_utf8(&buf[..=end]).ok()
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
            (
                whole.and_then(|t| t.with_nanosecond(1_000)),
                "2026-11-23T19:27:24.000001Z",
            ),
            (
                Utc.with_ymd_and_hms(5, 1, 2, 3, 4, 5).single(),
                "0005-01-02T03:04:05Z",
            ),
        ];
        for (time, expected) in cases {
            let time = time.unwrap_or_default();
            assert_eq!(iso8601(&time), expected);
            assert_eq!(
                serde_json::to_string(&Iso8601(time)).unwrap_or_default(),
                format!("\"{expected}\"")
            );
        }
    }

    /// The hand-written path agrees with chrono's, and chrono takes what it leaves.
    #[test]
    fn agrees_with_chrono() {
        let mut times: Vec<DateTime<Utc>> = Vec::new();
        for (year, nanos) in [
            (1970, 0),
            (1999, 123_456_789),
            (2026, 999_999_999),
            (9999, 1_000),
            (10_000, 5_000),
            (-1, 0),
        ] {
            let t = Utc.with_ymd_and_hms(year, 12, 31, 23, 59, 59).single();
            times.extend(t.and_then(|t| t.with_nanosecond(nanos)));
        }
        // A leap second.
        times.extend(
            Utc.with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
                .single()
                .and_then(|t| t.with_nanosecond(1_500_000_000)),
        );
        assert_eq!(times.len(), 7);
        for time in times {
            assert_eq!(iso8601(&time), slow(&time), "{time:?}");
        }
    }
}
