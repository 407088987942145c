//! Drives a sending and a receiving `Session` with a sequence of operations taken from the
//! input — protect and unprotect (SRTP and SRTCP), delivery of recorded, tampered and raw
//! packets, `remove_stream`, `set_roc`, adding, removing and choosing keys — and checks:
//! nothing panics or hangs; an accepted packet gives back what was sent; no recorded packet
//! is accepted twice; no SRTCP index is sent twice under one key and SSRC; a refused packet
//! changes neither the buffer nor the stream count; the stream count stays within bounds.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

const MAX_STREAMS: usize = 4;

fn key(profile: Profile, k: u8) -> MasterKey {
    let key: Vec<u8> = (0..profile.key_len() as u8).map(|x| x ^ k).collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8)
        .map(|x| x ^ 0x77 ^ k)
        .collect();
    MasterKey::new(&key, &salt)
        .and_then(|m| m.with_mki(&[k]))
        .expect("fixed key lengths match the profile")
}

struct Sent {
    wire: Vec<u8>,
    plain: Vec<u8>,
    rtcp: bool,
    accepted: bool,
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }
}

fn rtp(seq: u16, ssrc: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..len).map(|i| (i as u8) ^ (seq as u8)));
    p
}

fn rtcp(ssrc: u32, words: usize, n: u8) -> Vec<u8> {
    let mut p = vec![0x80, 200];
    p.extend_from_slice(&((1 + words) as u16).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..words * 4).map(|i| (i as u8) ^ n));
    p
}

/// Unprotects `pkt`; on refusal checks that the buffer and the stream count did not change.
fn deliver(rx: &mut Session, pkt: &[u8], rtcp: bool) -> Option<Vec<u8>> {
    let mut buf = pkt.to_vec();
    let count = rx.stream_count();
    let r = if rtcp {
        rx.unprotect_rtcp(&mut buf, pkt.len())
    } else {
        rx.unprotect_rtp(&mut buf, pkt.len())
    };
    match r {
        Ok(n) => {
            buf.truncate(n);
            Some(buf)
        }
        Err(_) => {
            assert_eq!(buf, pkt, "a refused packet is left as it was");
            assert_eq!(rx.stream_count(), count, "a refused packet changes nothing");
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let Some(sel) = inp.byte() else {
        return;
    };
    let profile = Profile::ALL[(sel & 7) as usize];
    let policy = Policy::new(profile, key(profile, 1))
        .with_max_streams(MAX_STREAMS)
        .with_replay_window(64);
    let (Ok(mut tx), Ok(mut rx)) = (Session::new(&policy), Session::new(&policy)) else {
        return;
    };
    let mut sent: Vec<Sent> = Vec::new();
    let mut rtcp_indexes: HashSet<(u8, u32, u32)> = HashSet::new();
    let mut n = 0u8;
    while let Some(op) = inp.byte() {
        if std::env::var_os("SESSION_OPS_TRACE").is_some() {
            eprintln!("op {op:#04x}, {} sent", sent.len());
        }
        n = n.wrapping_add(1);
        let ssrc = (op >> 4 & 3) as u32 + 1;
        match op & 15 {
            0..=3 => {
                let Some(seq) = inp.u16() else { break };
                let len = inp.byte().unwrap_or(0) as usize;
                let plain = rtp(seq, ssrc, len);
                let mut buf = plain.clone();
                buf.resize(plain.len() + tx.max_overhead(), 0);
                if let Ok(m) = tx.protect_rtp(&mut buf, plain.len()) {
                    buf.truncate(m);
                    if sent.len() < 64 {
                        sent.push(Sent {
                            wire: buf,
                            plain,
                            rtcp: false,
                            accepted: false,
                        });
                    }
                }
            }
            4 => {
                let words = (inp.byte().unwrap_or(0) % 16) as usize;
                let plain = rtcp(ssrc, words, n);
                let mut buf = plain.clone();
                buf.resize(plain.len() + tx.max_overhead(), 0);
                if let Ok(m) = tx.protect_rtcp(&mut buf, plain.len()) {
                    buf.truncate(m);
                    let tag = profile.rtcp_tag_len();
                    let at = if profile.is_aead() {
                        m - 1 - 4
                    } else {
                        m - tag - 1 - 4
                    };
                    let word = u32::from_be_bytes(buf[at..at + 4].try_into().unwrap());
                    let mki = tx.send_mki()[0];
                    assert!(
                        rtcp_indexes.insert((mki, ssrc, word & 0x7fff_ffff)),
                        "an SRTCP index sent twice under one key"
                    );
                    if sent.len() < 64 {
                        sent.push(Sent {
                            wire: buf,
                            plain,
                            rtcp: true,
                            accepted: false,
                        });
                    }
                }
            }
            5 | 6 => {
                let Some(i) = inp.byte() else { break };
                if sent.is_empty() {
                    continue;
                }
                let k = i as usize % sent.len();
                let s = &mut sent[k];
                let tamper = op & 15 == 6;
                let mut pkt = s.wire.clone();
                if tamper {
                    let at = inp.byte().unwrap_or(0) as usize % pkt.len();
                    pkt[at] ^= 1 << (i % 8);
                }
                if let Some(out) = deliver(&mut rx, &pkt, s.rtcp) {
                    assert!(!tamper, "a tampered packet authenticated");
                    assert_eq!(out, s.plain, "an accepted packet gives back what was sent");
                    assert!(
                        !s.accepted,
                        "packet {k} (rtcp {}) was accepted twice",
                        s.rtcp
                    );
                    s.accepted = true;
                }
            }
            7 => {
                let len = inp.byte().unwrap_or(0) as usize;
                let raw: Vec<u8> = inp.0.iter().copied().take(len).collect();
                inp.0 = &inp.0[raw.len()..];
                deliver(&mut rx, &raw, op & 0x40 != 0);
            }
            8 => {
                let s = if op & 0x40 != 0 { &mut tx } else { &mut rx };
                let before = s.stream_count();
                match s.remove_stream(ssrc) {
                    Ok(true) => assert_eq!(s.stream_count(), before - 1),
                    _ => assert_eq!(s.stream_count(), before),
                }
            }
            9 => {
                let roc = inp.byte().unwrap_or(0) as u32 % 4;
                let s = if op & 0x40 != 0 { &mut tx } else { &mut rx };
                let before = s.stream_count();
                if s.set_roc(ssrc, roc).is_err() {
                    assert_eq!(s.stream_count(), before);
                }
            }
            10 => {
                // Both ends add the same key (MKI 2..=4); either may refuse (already held,
                // no room), and packets under a key one end lacks are then refused.
                let k = 2 + ssrc as u8 % 3;
                let _ = tx.add_key(key(profile, k));
                let _ = rx.add_key(key(profile, k));
            }
            11 => {
                let k = 1 + ssrc as u8 % 4;
                let _ = tx.set_send_mki(&[k]);
            }
            12 => {
                let k = 1 + ssrc as u8 % 4;
                let _ = tx.remove_key(&[k]);
            }
            _ => {
                assert!(tx.stream_count() <= MAX_STREAMS);
                assert!(rx.stream_count() <= MAX_STREAMS);
            }
        }
    }
    assert!(rx.stream_count() <= MAX_STREAMS && tx.stream_count() <= MAX_STREAMS);
});
