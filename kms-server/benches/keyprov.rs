//! Load benchmark of `keyprov`: N concurrent HTTPS clients with keep-alive over loopback,
//! each fetching its own key sets (a bearer token each) as fast as it can, bounded in time
//! and count. The server (SQLite store, an issuance record and an audit entry written per
//! request) runs on its own 2-thread runtime; the clients on another, on the same machine.
//! Prints requests/s and the latency median, p90 and p99.
//!
//! `cargo bench -p prose-sec-kms-server --bench keyprov` with
//! `KMS_BENCH_CLIENTS` (64), `KMS_BENCH_SECS` (10), `KMS_BENCH_CACHE` (1: key sets cached in
//! memory; 0: every request re-derives its key set), `KMS_BENCH_MAX` (2,000,000 requests).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use prose_sec_kms_server::request::PREFIX;
use prose_sec_kms_server::server::now_ntp;
use prose_sec_kms_server::store::{Identity, Kind};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (cargo test's listing) runs nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let clients = env("KMS_BENCH_CLIENTS", 64);
    let secs = env("KMS_BENCH_SECS", 10) as u64;
    let cache = env("KMS_BENCH_CACHE", 1);
    let max = env("KMS_BENCH_MAX", 2_000_000);

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let f = server_rt.block_on(async {
        let f = Fixture::with(&Backend::Sqlite, |c| {
            c.next_period_window_secs = 0;
            c.cache_size = if cache == 0 { 0 } else { 65_536 };
        })
        .await;
        let now = now_ntp();
        for i in 0..clients {
            f.app
                .db
                .register(
                    &Identity {
                        uri: format!("sip:load{i}@example.org"),
                        kind: Kind::User,
                        manager: None,
                    },
                    now,
                )
                .await
                .unwrap();
        }
        f
    });
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = f.url(&format!("{PREFIX}keyprov"));
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicUsize::new(0));
    let (lat, elapsed) = client_rt.block_on(async {
        // Connect and warm every client (TLS handshake, first derivation) before timing.
        let mut conns = Vec::new();
        for i in 0..clients {
            let http = f.http(None);
            let token = f.token(&format!("sip:load{i}@example.org"), 3600);
            let r = http.post(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.bytes().await.unwrap();
            conns.push((http, token));
        }
        let start = Instant::now();
        let deadline = start + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for (http, token) in conns {
            let (url, done, stop, errors) =
                (url.clone(), done.clone(), stop.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(4096);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    if done.fetch_add(1, Ordering::Relaxed) >= max {
                        break;
                    }
                    let t = Instant::now();
                    match http.post(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status().as_u16() == 200 => {
                            if r.bytes().await.is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    lat.push(t.elapsed());
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        (all, start.elapsed())
    });
    let mut lat = lat;
    lat.sort();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let n = lat.len();
    println!(
        "keyprov: {clients} clients, {:.1} s, cache {}: {n} responses, {} errors, {:.0} responses/s, \
         p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        if cache == 0 { "off" } else { "on" },
        errors.load(Ordering::Relaxed),
        n as f64 / elapsed.as_secs_f64(),
        q(0.50).as_secs_f64() * 1e3,
        q(0.90).as_secs_f64() * 1e3,
        q(0.99).as_secs_f64() * 1e3,
        lat[n - 1].as_secs_f64() * 1e3,
    );
    let recs = server_rt.block_on(f.app.db.issued(None)).unwrap();
    println!(
        "issuance records: {} (one per identity and period)",
        recs.len()
    );
}
