//! Property tests of the batch forms at every lane count the multi-buffer paths split on
//! (1..=17 packets: the SHA-NI pairs and quads, the sixteen-lane AVX-512 group and one more),
//! with mixed sizes in one batch: byte for byte what the single calls give, and a bad tag in one
//! packet of a batch refuses that packet only and changes no state.
use proptest::prelude::*;
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec::Error;

fn policy(profile: Profile) -> Policy {
    let key: Vec<u8> = (0..profile.key_len() as u8)
        .map(|x| x.wrapping_mul(7) ^ 0x21)
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|x| x ^ 0x9e).collect();
    Policy::new(profile, MasterKey::new(&key, &salt).unwrap())
}

fn profile_strategy() -> impl Strategy<Value = Profile> {
    prop::sample::select(vec![
        Profile::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32,
        Profile::Aes256CmHmacSha1_80,
        Profile::NullHmacSha1_80,
        Profile::AeadAes128Gcm,
    ])
}

/// An RTP packet `seq` of `ssrc` with `payload` octets, and room for any trailer.
fn rtp(seq: u16, ssrc: u32, payload: usize) -> (Vec<u8>, usize) {
    let mut v = vec![0x80, 96];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0x10, 0]);
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend((0..payload).map(|i| (i as u8).wrapping_mul(31) ^ seq as u8));
    let n = v.len();
    v.resize(n + 64, 0);
    (v, n)
}

/// Sizes that cross the SHA-1 block edges (55/56/64 octets of message) and a large packet.
fn size_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..200,
        prop::sample::select(vec![
            36usize, 40, 41, 44, 48, 100, 104, 160, 480, 1200, 1400
        ]),
    ]
}

/// Packets of one batch: (size, stream) for each.
fn batch_strategy() -> impl Strategy<Value = Vec<(usize, bool)>> {
    (1usize..=17).prop_flat_map(|n| prop::collection::vec((size_strategy(), any::<bool>()), n))
}

fn make(spec: &[(usize, bool)], first_seq: u16) -> Vec<(Vec<u8>, usize)> {
    spec.iter()
        .enumerate()
        .map(|(i, &(size, s))| {
            rtp(
                first_seq.wrapping_add(i as u16),
                if s { 0x1111 } else { 0x2222 },
                size,
            )
        })
        .collect()
}

fn batch_protect(s: &mut Session, pkts: &mut [(Vec<u8>, usize)]) -> Vec<prose_sec::Result<usize>> {
    let mut items: Vec<(&mut [u8], usize)> = pkts
        .iter_mut()
        .map(|(b, n)| (b.as_mut_slice(), *n))
        .collect();
    let mut res = vec![Ok(0); items.len()];
    s.protect_rtp_batch(&mut items, &mut res).unwrap();
    res
}

fn batch_unprotect(
    s: &mut Session,
    pkts: &mut [(Vec<u8>, usize)],
) -> Vec<prose_sec::Result<usize>> {
    let mut items: Vec<(&mut [u8], usize)> = pkts
        .iter_mut()
        .map(|(b, n)| (b.as_mut_slice(), *n))
        .collect();
    let mut res = vec![Ok(0); items.len()];
    s.unprotect_rtp_batch(&mut items, &mut res).unwrap();
    res
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Protect and unprotect of a batch of 1..=17 mixed-size packets equal the single calls
    /// byte for byte, and the receiving state (ROC) agrees.
    #[test]
    fn batch_lanes_equal_single(profile in profile_strategy(), spec in batch_strategy(), seq in any::<u16>()) {
        let pol = policy(profile);
        let (mut tx1, mut tx2) = (Session::new(&pol).unwrap(), Session::new(&pol).unwrap());
        let plain = make(&spec, seq);
        let mut single = plain.clone();
        let s_res: Vec<_> = single.iter_mut().map(|(b, n)| tx1.protect_rtp(b, *n)).collect();
        let mut batch = plain.clone();
        let b_res = batch_protect(&mut tx2, &mut batch);
        prop_assert_eq!(&s_res, &b_res);
        prop_assert_eq!(&single, &batch);

        let mut srtp: Vec<(Vec<u8>, usize)> = batch
            .iter()
            .zip(&b_res)
            .map(|((b, _), r)| (b.clone(), *r.as_ref().unwrap()))
            .collect();
        let (mut rx1, mut rx2) = (Session::new(&pol).unwrap(), Session::new(&pol).unwrap());
        let mut s_in = srtp.clone();
        let s_un: Vec<_> = s_in.iter_mut().map(|(b, n)| rx1.unprotect_rtp(b, *n)).collect();
        let b_un = batch_unprotect(&mut rx2, &mut srtp);
        prop_assert_eq!(&s_un, &b_un);
        prop_assert_eq!(&s_in, &srtp);
        for (r, ((b, _), (p, n))) in b_un.iter().zip(srtp.iter().zip(&plain)) {
            prop_assert_eq!(r, &Ok(*n));
            prop_assert_eq!(&b[..*n], &p[..*n]);
        }
        for ssrc in [0x1111, 0x2222] {
            prop_assert_eq!(rx1.roc(ssrc), rx2.roc(ssrc));
        }
    }

    /// One packet of a batch with a bad tag (or a bad octet anywhere it is authenticated): that
    /// packet alone is refused with `AuthFailed`, its buffer is left as it came, the others are
    /// accepted, and the session is as if the bad packet had never arrived (its good copy is
    /// accepted afterwards, once).
    #[test]
    fn bad_tag_rejects_only_that_packet(
        profile in profile_strategy(),
        spec in batch_strategy(),
        seq in any::<u16>(),
        pick in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let pol = policy(profile);
        let mut tx = Session::new(&pol).unwrap();
        let mut pkts = make(&spec, seq);
        for (r, (_, n)) in batch_protect(&mut tx, &mut pkts).into_iter().zip(pkts.iter_mut()) {
            *n = r.unwrap();
        }
        let bad = pick.index(pkts.len());
        let good_copy = pkts[bad].clone();
        // Flip a bit in the tag (last octets) or, half the time, anywhere after the header's
        // first octet (the version bits would make it a parse error, not a tag failure).
        let n = pkts[bad].1;
        let tag_len = profile.rtp_tag_len();
        let at = if flip.index(2) == 0 { n - 1 - flip.index(tag_len) } else { 1 + flip.index(n - 1) };
        pkts[bad].0[at] ^= 1 << bit;
        let corrupted = pkts[bad].clone();

        let mut rx = Session::new(&pol).unwrap();
        let res = batch_unprotect(&mut rx, &mut pkts);
        for (i, r) in res.iter().enumerate() {
            if i == bad {
                // A flipped sequence number or SSRC may name another index or stream; the
                // packet is refused all the same.
                prop_assert!(r.is_err(), "bad packet accepted");
                if at >= 12 {
                    prop_assert_eq!(r, &Err(Error::AuthFailed));
                }
                prop_assert_eq!(&pkts[i], &corrupted);
            } else {
                prop_assert!(r.is_ok(), "packet {} refused: {:?}", i, r);
            }
        }
        // The state is that of the batch without the bad packet: the good copy is accepted now,
        // and a replay of it is not.
        let mut reference = Session::new(&pol).unwrap();
        let mut others: Vec<(Vec<u8>, usize)> = make(&spec, seq);
        let mut tx2 = Session::new(&pol).unwrap();
        for (r, (_, n)) in batch_protect(&mut tx2, &mut others).into_iter().zip(others.iter_mut()) {
            *n = r.unwrap();
        }
        let mut without: Vec<(Vec<u8>, usize)> = others
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != bad)
            .map(|(_, p)| p.clone())
            .collect();
        let _ = batch_unprotect(&mut reference, &mut without);
        for ssrc in [0x1111, 0x2222] {
            prop_assert_eq!(rx.roc(ssrc), reference.roc(ssrc));
        }
        let mut g = good_copy.clone();
        prop_assert_eq!(rx.unprotect_rtp(&mut g.0, g.1), Ok(spec[bad].0 + 12));
        let mut g = good_copy;
        prop_assert_eq!(rx.unprotect_rtp(&mut g.0, g.1), Err(Error::ReplayDuplicate));
    }
}
