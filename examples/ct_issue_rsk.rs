//! Paired fixed-vs-random timing of SAKKE RSK issue (the secret is the KMS master secret z):
//! measurements alternate in a random order between z = 1 (the sparsest secret) and a fresh
//! random z, and Welch's t-statistic of the two timing sets is printed; |t| above about 4.5
//! suggests the time depends on the secret. A control that times a variable-time comparison
//! of a secret-matching and a random input must show a large |t|, so a silent harness cannot
//! pass.
//!
//!   cargo run --release --example ct_issue_rsk [PAIRS]
use std::time::Instant;

use prose_sec::sakke::KmsSecret;
use rand_core::{OsRng, RngCore};

fn welch(a: &[f64], b: &[f64]) -> f64 {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (var(a, ma), var(b, mb));
    (ma - mb) / (va / a.len() as f64 + vb / b.len() as f64).sqrt()
}

/// Drops the slowest 5 % of each set (interrupts, migrations), as dudect does.
fn crop(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v.truncate(v.len() * 95 / 100);
    v
}

fn main() {
    let pairs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let id = b"2011-02\0tel:+447700900123\0";
    let mut one = [0u8; 128];
    one[127] = 1;
    let fixed = KmsSecret::from_bytes(&one).unwrap();
    let (mut tf, mut tr) = (Vec::new(), Vec::new());
    for _ in 0..pairs {
        let random = KmsSecret::generate(&mut OsRng);
        let first_fixed = OsRng.next_u32() & 1 == 0;
        for k in 0..2 {
            let use_fixed = (k == 0) == first_fixed;
            let z = if use_fixed { &fixed } else { &random };
            let t0 = Instant::now();
            let r = z.issue_rsk(id).unwrap();
            let dt = t0.elapsed().as_nanos() as f64;
            std::hint::black_box(r);
            if use_fixed {
                tf.push(dt)
            } else {
                tr.push(dt)
            }
        }
    }
    let (tf, tr) = (crop(tf), crop(tr));
    let med = |v: &[f64]| v[v.len() / 2];
    println!(
        "issue_rsk: z = 1 vs random z, {pairs} pairs: median {:.0} ns vs {:.0} ns, t = {:.2}",
        med(&tf),
        med(&tr),
        welch(&tf, &tr)
    );

    // Control: an early-exit comparison leaks how many leading octets match.
    let secret = [0x5au8; 4096];
    let (mut cf, mut cr) = (Vec::new(), Vec::new());
    for _ in 0..pairs * 4 {
        let mut other = [0u8; 4096];
        OsRng.fill_bytes(&mut other);
        for (input, out) in [(&secret, &mut cf), (&other, &mut cr)] {
            let t0 = Instant::now();
            let eq = std::hint::black_box(input)
                .iter()
                .zip(secret.iter())
                .all(|(a, b)| a == b);
            let dt = t0.elapsed().as_nanos() as f64;
            std::hint::black_box(eq);
            out.push(dt);
        }
    }
    let t = welch(&crop(cf), &crop(cr));
    println!("control (variable-time comparison): t = {t:.2} (must be large)");
}
