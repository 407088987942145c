//! A dudect-style timing harness (Reparaz, Balasch and Verbauwhede, "Dude, is my code constant
//! time?", DATE 2017): each measurement times one call on an input of one of two classes (a
//! fixed secret or a random one) drawn at random, so that drift and load hit both classes
//! alike; the timings are cropped at a ladder of percentiles, and Welch's t-test compares the
//! classes on the raw data, on every crop and (second order) on the squared deviations of one
//! crop. The largest |t| is the verdict: above 4.5 the time probably depends on the class,
//! above 10 it certainly does.
//!
//! Written here rather than taken from `dudect-bencher`: that crate fixes its own command line
//! and output (clap 2), has no pass/fail status, and its runner cannot time a call whose input
//! needs a prepared per-measurement object (keys, packets) without timing its construction.
//! Timings come from `std::time::Instant` (the TSC through the vDSO on Linux x86-64), so the
//! harness needs no `unsafe`.
use std::hint::black_box;
use std::time::{Duration, Instant};

use rand_core::{OsRng, RngCore};

/// |t| above which a difference is reported (dudect's "probably not constant time").
pub const T_SUSPECT: f64 = 4.5;
/// |t| above which a difference is certain (dudect's "definitely not constant time"); the
/// controls must exceed it.
pub const T_CERTAIN: f64 = 10.0;
/// Number of cropping percentiles (as dudect).
pub const CROPS: usize = 100;

/// Two-class running mean and variance (Welford), Welch's t.
#[derive(Clone, Copy, Debug, Default)]
pub struct Welch {
    n: [f64; 2],
    mean: [f64; 2],
    m2: [f64; 2],
}

impl Welch {
    /// Adds one value of class 0 or 1.
    pub fn push(&mut self, x: f64, class: usize) {
        let c = class & 1;
        self.n[c] += 1.0;
        let d = x - self.mean[c];
        self.mean[c] += d / self.n[c];
        self.m2[c] += d * (x - self.mean[c]);
    }

    /// Values of each class.
    pub fn counts(&self) -> [u64; 2] {
        [self.n[0] as u64, self.n[1] as u64]
    }

    /// Mean of each class.
    pub fn means(&self) -> [f64; 2] {
        self.mean
    }

    /// Welch's t (0 until each class has two values; 0 when both variances are 0 and the means
    /// are equal, infinite when they differ).
    pub fn t(&self) -> f64 {
        if self.n[0] < 2.0 || self.n[1] < 2.0 {
            return 0.0;
        }
        let v0 = self.m2[0] / (self.n[0] - 1.0);
        let v1 = self.m2[1] / (self.n[1] - 1.0);
        let se = (v0 / self.n[0] + v1 / self.n[1]).sqrt();
        let d = self.mean[0] - self.mean[1];
        if se == 0.0 {
            return if d == 0.0 { 0.0 } else { f64::INFINITY };
        }
        d / se
    }
}

/// Timings of one operation: the class (0 fixed, 1 random) and the time in nanoseconds of
/// every call, in the order they were taken.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    pub class: Vec<u8>,
    pub ns: Vec<f64>,
}

/// Which of the tests gave the largest |t|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Test {
    Raw,
    /// Cropped below the given percentile (0–1).
    Crop(f64),
    /// Squared deviations from the class mean, below the given percentile.
    SecondOrder(f64),
}

impl core::fmt::Display for Test {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Test::Raw => write!(f, "raw"),
            Test::Crop(p) => write!(f, "crop p{:.1}", p * 100.0),
            Test::SecondOrder(p) => write!(f, "2nd order p{:.1}", p * 100.0),
        }
    }
}

/// The outcome of the t-tests on one set of samples.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Measurements analysed (after the warm-up).
    pub n: usize,
    /// The largest |t| and the test that gave it.
    pub max_t: f64,
    pub test: Test,
    /// Measurements in that test.
    pub n_test: u64,
    /// t of the uncropped data.
    pub t_raw: f64,
    /// Median time of each class (ns).
    pub median: [f64; 2],
}

/// dudect's percentile ladder: 1 − 0.5^(10·(k+1)/CROPS), from 6.7 % to 99.9 %.
pub fn crop_percentiles() -> Vec<f64> {
    (0..CROPS)
        .map(|k| 1.0 - 0.5f64.powf(10.0 * (k + 1) as f64 / CROPS as f64))
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The crop whose percentile is closest to 90 %, where the second-order test is taken (the
/// slowest tenth, interrupts and migrations, would dominate a variance comparison).
const SECOND_ORDER_CROP: usize = 32;

/// Runs every test on `s`, dropping the first tenth (at most 1000) of the measurements as
/// warm-up. Tests with fewer than 100 values of a class are not counted.
pub fn analyse(s: &Samples) -> Verdict {
    let warm = (s.ns.len() / 10).min(1000);
    let ns = &s.ns[warm..];
    let class = &s.class[warm..];
    let mut sorted = ns.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let ps = crop_percentiles();
    let cuts: Vec<f64> = ps.iter().map(|&p| percentile(&sorted, p)).collect();
    let mut raw = Welch::default();
    let mut crops = vec![Welch::default(); CROPS];
    for (&x, &c) in ns.iter().zip(class) {
        raw.push(x, c as usize);
        for (w, &cut) in crops.iter_mut().zip(&cuts) {
            if x < cut {
                w.push(x, c as usize);
            }
        }
    }
    // Second order on the chosen crop: (x − mean of its class)².
    let m = crops[SECOND_ORDER_CROP].means();
    let mut second = Welch::default();
    for (&x, &c) in ns.iter().zip(class) {
        if x < cuts[SECOND_ORDER_CROP] {
            let d = x - m[c as usize];
            second.push(d * d, c as usize);
        }
    }
    let enough = |w: &Welch| w.counts().iter().all(|&n| n >= 100);
    let mut best = (0.0f64, Test::Raw, raw.counts());
    let mut consider = |w: &Welch, test: Test| {
        if enough(w) && w.t().abs() > best.0.abs() {
            best = (w.t(), test, w.counts());
        }
    };
    consider(&raw, Test::Raw);
    for (w, &p) in crops.iter().zip(&ps) {
        consider(w, Test::Crop(p));
    }
    consider(&second, Test::SecondOrder(ps[SECOND_ORDER_CROP]));
    let median = |cl: u8| {
        let mut v: Vec<f64> = ns
            .iter()
            .zip(class)
            .filter(|(_, &c)| c == cl)
            .map(|(&x, _)| x)
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        if v.is_empty() {
            0.0
        } else {
            v[v.len() / 2]
        }
    };
    Verdict {
        n: ns.len(),
        max_t: best.0.abs(),
        test: best.1,
        n_test: best.2[0] + best.2[1],
        t_raw: raw.t(),
        median: [median(0), median(1)],
    }
}

/// How long to measure: until `budget` has passed (preparation included) or `max` calls were
/// timed, in batches of `batch` prepared inputs.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub budget: Duration,
    pub max: usize,
    pub batch: usize,
}

/// Times `op` on inputs of randomly drawn classes: before each batch, every slot gets a class
/// by a fair coin and its input from `fixed` (class 0) or `random` (class 1); then each input
/// is timed once, in slot order. Inputs are built and dropped outside the timed region.
pub fn measure<I>(
    plan: Plan,
    mut fixed: impl FnMut() -> I,
    mut random: impl FnMut() -> I,
    mut op: impl FnMut(&mut I),
) -> Samples {
    let start = Instant::now();
    let mut s = Samples::default();
    let mut coins = vec![0u8; plan.batch.div_ceil(8)];
    while start.elapsed() < plan.budget && s.ns.len() < plan.max {
        OsRng.fill_bytes(&mut coins);
        let classes: Vec<u8> = (0..plan.batch)
            .map(|i| (coins[i / 8] >> (i % 8)) & 1)
            .collect();
        let mut inputs: Vec<I> = classes
            .iter()
            .map(|&c| if c == 0 { fixed() } else { random() })
            .collect();
        for (input, &c) in inputs.iter_mut().zip(&classes) {
            let t0 = Instant::now();
            op(black_box(input));
            let dt = t0.elapsed();
            s.class.push(c);
            s.ns.push(dt.as_nanos() as f64);
        }
        drop(inputs);
    }
    s
}

/// An early-exit comparison (it stops at the first differing octet): the deliberately leaky
/// control. `black_box` on every octet keeps the compiler from turning it into a constant-time
/// block compare.
#[inline(never)]
pub fn leaky_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for i in 0..a.len() {
        if black_box(a[i]) != black_box(b[i]) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_matches_a_hand_computation() {
        // class 0: 1, 2, 3 (mean 2, var 1); class 1: 4, 6, 8 (mean 6, var 4)
        let mut w = Welch::default();
        for x in [1.0, 2.0, 3.0] {
            w.push(x, 0);
        }
        for x in [4.0, 6.0, 8.0] {
            w.push(x, 1);
        }
        let expect = (2.0 - 6.0) / (1.0f64 / 3.0 + 4.0 / 3.0).sqrt();
        assert!((w.t() - expect).abs() < 1e-12, "{}", w.t());
        assert_eq!(w.counts(), [3, 3]);
    }

    #[test]
    fn percentile_ladder_is_dudects() {
        let p = crop_percentiles();
        assert_eq!(p.len(), CROPS);
        assert!((p[0] - (1.0 - 0.5f64.powf(0.1))).abs() < 1e-12);
        assert!((p[CROPS - 1] - (1.0 - 0.5f64.powi(10))).abs() < 1e-12);
        assert!(p.windows(2).all(|w| w[0] < w[1]));
        assert!((p[SECOND_ORDER_CROP] - 0.9).abs() < 0.01);
    }

    /// Synthetic timings with the same distribution in both classes stay below the threshold;
    /// a shift of a tenth of the spread over 20,000 values is certain.
    #[test]
    fn analysis_separates_equal_from_shifted_classes() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut noise = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 100.0
        };
        let mut same = Samples::default();
        let mut shifted = Samples::default();
        for i in 0..20_000 {
            let c = (i % 2) as u8;
            same.class.push(c);
            same.ns.push(1000.0 + noise());
            shifted.class.push(c);
            shifted
                .ns
                .push(1000.0 + noise() + if c == 0 { 0.0 } else { 10.0 });
        }
        let v = analyse(&same);
        assert!(v.max_t < T_SUSPECT, "{v:?}");
        let v = analyse(&shifted);
        assert!(v.max_t > T_CERTAIN, "{v:?}");
        assert!(v.median[1] > v.median[0]);
    }

    #[test]
    fn leaky_eq_is_equality() {
        assert!(leaky_eq(b"abc", b"abc"));
        assert!(!leaky_eq(b"abc", b"abd"));
        assert!(!leaky_eq(b"abc", b"ab"));
    }

    /// The harness sees the control's leak on this machine, with a short run: an early-exit
    /// comparison of a matching (fixed class) and a random (random class) 4096-octet input.
    #[test]
    fn control_is_flagged() {
        let secret = vec![0x5au8; 4096];
        let plan = Plan {
            budget: Duration::from_secs(5),
            max: 20_000,
            batch: 500,
        };
        let s = measure(
            plan,
            || secret.clone(),
            || {
                let mut v = vec![0u8; 4096];
                OsRng.fill_bytes(&mut v);
                v
            },
            |input| {
                black_box(leaky_eq(input, &secret));
            },
        );
        let v = analyse(&s);
        assert!(v.max_t > T_CERTAIN, "control not flagged: {v:?}");
    }
}
