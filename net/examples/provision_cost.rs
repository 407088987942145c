//! What provisioning `n` members costs (`PROVISION_MEMBERS`, default 200): the KMS's batch
//! issuance, each member's key-set validation and key precomputation, as `scenario::provision`
//! does it (the certificate's tables built once and shared, one batch per core) against one
//! thread with a certificate copy per member that builds Z's tables itself. Wall time and the
//! process's CPU time (user + system, all threads).
use std::time::Instant;

use prose_sec::kms::{IdFormat, KeyPeriods, Kms};
use prose_sec_net::node::ntp_now;
use prose_sec_net::scenario::{member_uri, new_member, provision};
use rand_core::OsRng;

fn cpu_secs() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some((_, rest)) = s.rsplit_once(')') else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("PROVISION_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let now = ntp_now(0);
    let e = |x: prose_sec::Error| anyhow::anyhow!("{}", x.as_str());

    // One thread, a fresh certificate copy per member.
    let (c0, t0) = (cpu_secs(), Instant::now());
    let kms = Kms::generate(
        KeyPeriods::new(b"kms.example.org", IdFormat::Prose).map_err(e)?,
        &mut OsRng,
    )
    .map_err(e)?;
    let cert = kms.certificate();
    let no = kms.periods().period_no(now).map_err(e)?;
    let uris: Vec<Vec<u8>> = (0..n).map(|i| member_uri(i).into_bytes()).collect();
    let refs: Vec<&[u8]> = uris.iter().map(Vec::as_slice).collect();
    let sets = kms.issue_many(&refs, no, &mut OsRng).map_err(e)?;
    let mut members = Vec::with_capacity(n);
    for (ks, u) in sets.into_iter().zip(&uris) {
        let mut m = new_member(u, cert.clone());
        m.add_key_set(ks.map_err(e)?, now).map_err(e)?;
        members.push(m);
    }
    let (w1, c1) = (t0.elapsed().as_secs_f64(), cpu_secs() - c0);
    drop(members);
    println!(
        "one thread, a certificate per member: {n} members in {w1:.2} s wall, {c1:.2} s CPU ({:.0} µs CPU per member)",
        c1 * 1e6 / n as f64
    );

    let (c0, t0) = (cpu_secs(), Instant::now());
    let w = provision(n, IdFormat::Prose, now)?;
    let (w2, c2) = (t0.elapsed().as_secs_f64(), cpu_secs() - c0);
    drop(w);
    println!(
        "scenario::provision (shared tables, a batch per core): {n} members (+ outsider, group) in {w2:.2} s wall, {c2:.2} s CPU ({:.0} µs CPU per member)",
        c2 * 1e6 / n as f64
    );
    Ok(())
}
