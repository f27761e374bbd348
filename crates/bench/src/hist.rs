//! A small log-linear latency histogram (about 1.6 % relative precision).

use std::time::Duration;

/// Sub-buckets per power of two; values below this are recorded exactly.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for any `u64` nanosecond value.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_ns: u64,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max_ns: 0,
        }
    }

    fn index(ns: u64) -> usize {
        if ns < SUB {
            return ns as usize;
        }
        let msb = 63 - ns.leading_zeros();
        let shift = msb - SUB_BITS;
        let sub = (ns >> shift) - SUB;
        ((u64::from(shift) + 1) * SUB + sub) as usize
    }

    /// Midpoint of the bucket, in nanoseconds.
    fn value(index: usize) -> u64 {
        let i = index as u64;
        if i < SUB {
            return i;
        }
        let shift = i / SUB - 1;
        let sub = i % SUB;
        let lower = (SUB + sub) << shift;
        lower + ((1u64 << shift) >> 1)
    }

    pub(crate) fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let idx = Self::index(ns).min(BUCKETS - 1);
        self.counts[idx] += 1;
        self.total += 1;
        self.max_ns = self.max_ns.max(ns);
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += *b;
        }
        self.total += other.total;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// Quantile `q` in 0..=1, in milliseconds (0 when empty).
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i).min(self.max_ns) as f64 / 1e6;
            }
        }
        self.max_ns as f64 / 1e6
    }

    pub(crate) fn max_ms(&self) -> f64 {
        self.max_ns as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_precise() {
        let mut prev = 0;
        for ns in [
            0u64,
            1,
            63,
            64,
            65,
            127,
            128,
            1_000,
            50_000,
            1_000_000,
            10u64.pow(12),
        ] {
            let i = Histogram::index(ns);
            assert!(i >= prev);
            prev = i;
            let v = Histogram::value(i);
            let err = (v as f64 - ns as f64).abs() / (ns.max(1) as f64);
            assert!(err <= 1.0 / 64.0 + 1e-9, "ns={ns} v={v}");
        }
        assert!(Histogram::index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.count(), 1000);
        let p50 = h.quantile_ms(0.5);
        let p99 = h.quantile_ms(0.99);
        assert!((p50 - 0.5).abs() < 0.01, "{p50}");
        assert!((p99 - 0.99).abs() < 0.02, "{p99}");
        assert!((h.max_ms() - 1.0).abs() < 1e-9);
    }
}
