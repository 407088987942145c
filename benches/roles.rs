//! Criterion benchmarks of the roles (issue figures): the Group Manager's GMK notifications for
//! a 1000-member group (encapsulate + sign + build, both cores), the KMS's key sets for 10,000
//! identities and one period (RSK + SSK/PVT, both cores), a member accepting a signed GSK offer,
//! and a member importing a key set (RSK pairing check, SSK/PVT check, decapsulation key).
//!
//! `cargo bench -p prose-sec --bench roles`
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use prose_sec::group::manager::Manager;
use prose_sec::group::member::Member;
use prose_sec::group::GskReceiver;
use prose_sec::kms::{IdFormat, KeyPeriods, Kms};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::Profile;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const NOW: u64 = 3_900_000_000;

fn formats() -> [(&'static str, IdFormat); 2] {
    [
        ("prose", IdFormat::Prose),
        (
            "mcptt",
            IdFormat::Mcptt {
                period_secs: 30 * 86_400,
                offset_secs: 0,
            },
        ),
    ]
}

fn uris(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("sip:unit-{i}@example.org").into_bytes())
        .collect()
}

fn roles(c: &mut Criterion) {
    for (name, format) in formats() {
        let kms = Kms::generate(KeyPeriods::new(KMS_URI, format).unwrap(), &mut OsRng).unwrap();
        let cert = kms.certificate();
        let no = kms.periods().period_no(NOW).unwrap();

        // GMK notifications, 1000 members.
        let group_keys = cert
            .accept(GROUP, kms.issue(GROUP, no, &mut OsRng).unwrap(), NOW)
            .unwrap();
        let mut manager = Manager::new(GROUP, cert.clone(), group_keys).unwrap();
        for u in uris(1000) {
            manager.add_member(&u).unwrap();
        }
        let gmk = manager.create_gmk(0, 0, &mut OsRng).unwrap();
        let mut g = c.benchmark_group(format!("roles/{name}"));
        g.sample_size(10).measurement_time(Duration::from_secs(8));
        let mut t = NOW;
        g.bench_function("gmk_notifications/1000", |b| {
            b.iter(|| {
                t += 1;
                manager.notifications(gmk, t, &mut OsRng).unwrap()
            })
        });

        // KMS key sets, 10,000 identities.
        let many = uris(10_000);
        let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        g.measurement_time(Duration::from_secs(15));
        g.bench_function("kms_key_sets/10000", |b| {
            b.iter(|| kms.issue_many(&refs, no, &mut OsRng).unwrap())
        });
        g.finish();

        // A member: importing a key set; accepting a signed offer.
        let mut g = c.benchmark_group(format!("roles/{name}"));
        g.sample_size(20).measurement_time(Duration::from_secs(5));
        let alice = b"sip:alice@example.org";
        let bob = b"sip:bob@example.org";
        let ks = kms.issue(bob, no, &mut OsRng).unwrap();
        g.bench_function("member_import_key_set", |b| {
            b.iter_batched(
                || ks.clone(),
                |ks| cert.accept(bob, ks, NOW).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let policy = PskPolicy {
            require_signature: true,
            ..PskPolicy::default()
        };
        let member = |uri: &[u8]| {
            let mut m = Member::new(uri, cert.clone(), policy.clone());
            m.add_key_set(kms.issue(uri, no, &mut OsRng).unwrap(), NOW)
                .unwrap();
            m.join(GROUP);
            m
        };
        let (mut a, mut b) = (member(alice), member(bob));
        let mut mg = Manager::new(
            GROUP,
            cert.clone(),
            cert.accept(GROUP, kms.issue(GROUP, no, &mut OsRng).unwrap(), NOW)
                .unwrap(),
        )
        .unwrap();
        mg.add_member(alice).unwrap();
        mg.add_member(bob).unwrap();
        let id = mg.create_gmk(0, 0, &mut OsRng).unwrap();
        for n in mg.notifications(id, NOW, &mut OsRng).unwrap() {
            let m = if n.member == alice { &mut a } else { &mut b };
            m.handle_gmk_message(&n.message, NOW).unwrap();
        }
        let call = a
            .start_call(GROUP, Profile::Aes128CmHmacSha1_80, &[7], NOW, true)
            .unwrap();
        let offer = call.first_offer().to_vec();
        b.handle_offer(&offer, NOW).unwrap();
        // The member's whole path for a (re-sent) signed offer: parse, GMK, MAC, signature,
        // key data, session left as it is.
        g.bench_function("member_accept_signed_offer", |bch| {
            bch.iter(|| b.handle_offer(&offer, NOW).unwrap())
        });
        // A new signed offer through the receiver (replay cache insert included); prose,
        // where the store names the group by its URI as the offer does.
        if name != "prose" {
            g.finish();
            continue;
        }
        let fresh: Vec<Vec<u8>> = (0..64)
            .map(|_| {
                a.start_call(GROUP, Profile::Aes128CmHmacSha1_80, &[7], NOW, true)
                    .unwrap()
                    .first_offer()
                    .to_vec()
            })
            .collect();
        let store = b.gmks(GROUP).unwrap().clone();
        let kpak = cert.kpak.clone();
        let mut i = 0;
        g.bench_function("receiver_new_signed_offer_uncached_signer", |bch| {
            bch.iter_batched(
                || {
                    i = (i + 1) % fresh.len();
                    (GskReceiver::new(policy.clone()), &fresh[i])
                },
                |(mut r, o)| r.process(o, NOW, store.lookup(NOW), Some(&kpak)).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, roles);
criterion_main!(benches);
