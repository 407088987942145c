//! The CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), for benchmarks that must
//! stay usable on a machine shared with other jobs.

use std::os::raw::c_int;
use std::time::Duration;

extern "C" {
    fn clock_gettime(clk: c_int, ts: *mut Timespec) -> c_int;
}

/// `struct timespec` on 64-bit Linux.
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

const CLOCK_THREAD_CPUTIME_ID: c_int = 3;

/// CPU time consumed so far by the calling thread.
pub fn thread_cpu_time() -> Duration {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a Linux constant.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

// ---- criterion measurement by schedstat ----

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;
use std::time::Instant;

/// A criterion measurement: on-CPU time of the current thread (`/proc/thread-self/schedstat`,
/// nanoseconds), or wall-clock time if the kernel does not expose it; shared by the benchmarks
/// that must stay usable on a machine shared with other jobs.
pub struct CpuTime {
    origin: Instant,
    schedstat: bool,
}

impl Default for CpuTime {
    fn default() -> Self {
        Self::new()
    }
}

impl CpuTime {
    /// Uses schedstat when the kernel has it (says so on stderr when it does not).
    pub fn new() -> Self {
        let schedstat = read_schedstat().is_some();
        if !schedstat {
            eprintln!("note: /proc/thread-self/schedstat unavailable; measuring wall-clock time");
        }
        Self {
            origin: Instant::now(),
            schedstat,
        }
    }

    fn now_ns(&self) -> u64 {
        if self.schedstat {
            if let Some(ns) = read_schedstat() {
                return ns;
            }
        }
        self.origin.elapsed().as_nanos() as u64
    }
}

fn read_schedstat() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

struct NsFormatter;

impl NsFormatter {
    fn unit(typical_ns: f64) -> (f64, &'static str) {
        if typical_ns < 1e3 {
            (1.0, "ns")
        } else if typical_ns < 1e6 {
            (1e-3, "µs")
        } else if typical_ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        }
    }
}

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str {
        let (f, u) = Self::unit(typical_value);
        values.iter_mut().for_each(|v| *v *= f);
        u
    }

    fn scale_throughputs(
        &self,
        typical_value: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let n = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => *n,
        } as f64;
        // values are ns per iteration: report ns (or µs) per element.
        let (f, u) = Self::unit(typical_value / n);
        values.iter_mut().for_each(|v| *v = *v / n * f);
        match u {
            "ns" => "ns/elem",
            "µs" => "µs/elem",
            "ms" => "ms/elem",
            _ => "s/elem",
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        self.now_ns()
    }
    fn end(&self, i: u64) -> Duration {
        Duration::from_nanos(self.now_ns().saturating_sub(i))
    }
    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, val: &Duration) -> f64 {
        val.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}
