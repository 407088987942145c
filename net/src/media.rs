//! Media: G.711 µ-law (ITU-T G.711, the segment encoder of its reference code), RTP (RFC 3550)
//! packets of 20 ms PT 0 frames, RTCP sender and receiver reports, the audio source (a WAV
//! file through `hound`, or a generated speech-like signal) and the WAV a member writes.

use std::path::Path;

use anyhow::{bail, Context};

/// Samples per second of G.711.
pub const RATE: u32 = 8000;
/// Samples in a 20 ms frame.
pub const FRAME: usize = 160;
/// RTP payload type of PCMU.
pub const PT_PCMU: u8 = 0;
/// RTP header length (no CSRC, no extension).
pub const RTP_HEADER: usize = 12;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

/// µ-law encoding of one linear 16-bit sample.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let mut exp = 7;
    let mut mask = 0x4000;
    while exp > 0 && s & mask == 0 {
        exp -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exp + 3)) & 0x0f;
    !(sign | (exp << 4) as u8 | mantissa as u8)
}

/// Linear sample of one µ-law octet.
pub fn ulaw_decode(u: u8) -> i16 {
    let u = !u;
    let exp = i32::from((u >> 4) & 7);
    let mantissa = i32::from(u & 0x0f);
    let mag = (((mantissa << 3) + BIAS) << exp) - BIAS;
    (if u & 0x80 != 0 { -mag } else { mag }) as i16
}

/// The deterministic default signal: `secs` seconds of a speech-like mix (a voiced fundamental
/// gliding 110–170 Hz with three formant partials, syllable envelopes of ~4 Hz and short pauses).
pub fn default_signal(secs: f64) -> Vec<i16> {
    let n = (secs * f64::from(RATE)) as usize;
    let mut out = Vec::with_capacity(n);
    let mut phase = 0.0f64;
    for i in 0..n {
        let t = i as f64 / f64::from(RATE);
        let f0 = 140.0 + 30.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
        phase += 2.0 * std::f64::consts::PI * f0 / f64::from(RATE);
        let syll = (2.0 * std::f64::consts::PI * 4.0 * t).sin().max(0.0);
        let pause = if (t % 1.5) > 1.25 { 0.0 } else { 1.0 };
        let v = phase.sin() * 0.5
            + (phase * 5.0).sin() * 0.25
            + (phase * 9.0).sin() * 0.15
            + (phase * 17.0).sin() * 0.08;
        out.push((v * syll * pause * 12_000.0) as i16);
    }
    out
}

/// Reads a WAV file as 8 kHz mono 16-bit samples: integer PCM of 8–32 bits or float; the first
/// channel; other rates resampled (linear interpolation).
pub fn read_wav(path: &Path) -> anyhow::Result<Vec<i16>> {
    let mut r = hound::WavReader::open(path)
        .with_context(|| format!("{}: not a readable WAV file", path.display()))?;
    let spec = r.spec();
    let ch = usize::from(spec.channels.max(1));
    let raw: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = f64::from(1u32 << (spec.bits_per_sample.clamp(1, 32) - 1));
            r.samples::<i32>()
                .step_by(ch)
                .map(|s| s.map(|v| f64::from(v) / scale))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => r
            .samples::<f32>()
            .step_by(ch)
            .map(|s| s.map(f64::from))
            .collect::<Result<_, _>>()?,
    };
    if raw.is_empty() {
        bail!("{}: no samples", path.display());
    }
    let ratio = f64::from(spec.sample_rate) / f64::from(RATE);
    let n = (raw.len() as f64 / ratio) as usize;
    Ok((0..n)
        .map(|i| {
            let x = i as f64 * ratio;
            let k = x as usize;
            let a = raw[k.min(raw.len() - 1)];
            let b = raw[(k + 1).min(raw.len() - 1)];
            let v = a + (b - a) * (x - k as f64);
            (v * 32_767.0).clamp(-32_768.0, 32_767.0) as i16
        })
        .collect())
}

/// Writes 8 kHz mono 16-bit samples as a WAV file.
pub fn write_wav(path: &Path, samples: &[i16]) -> anyhow::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)
        .with_context(|| format!("{}: cannot create", path.display()))?;
    for &s in samples {
        w.write_sample(s)?;
    }
    w.finalize()?;
    Ok(())
}

/// The µ-law frames of a signal (the last one padded with silence).
pub fn frames(samples: &[i16]) -> Vec<[u8; FRAME]> {
    samples
        .chunks(FRAME)
        .map(|c| {
            let mut f = [ulaw_encode(0); FRAME];
            for (o, &s) in f.iter_mut().zip(c) {
                *o = ulaw_encode(s);
            }
            f
        })
        .collect()
}

/// An RTP packet (V=2, no padding, extension or CSRC) with room for `trailer` more octets.
pub fn rtp_packet(
    pt: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: &[u8],
    trailer: usize,
) -> Vec<u8> {
    let mut p = Vec::with_capacity(RTP_HEADER + payload.len() + trailer);
    p.push(0x80);
    p.push((pt & 0x7f) | if marker { 0x80 } else { 0 });
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The fields of an RTP header a receiver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    /// Payload type.
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub ts: u32,
    /// SSRC.
    pub ssrc: u32,
    /// Offset of the payload.
    pub payload_at: usize,
}

/// Parses an RTP header (V=2; CSRCs and an extension skipped); `None` if malformed.
pub fn parse_rtp(p: &[u8]) -> Option<RtpHeader> {
    if p.len() < RTP_HEADER || p[0] >> 6 != 2 {
        return None;
    }
    let cc = usize::from(p[0] & 0x0f);
    let mut at = RTP_HEADER + 4 * cc;
    if p[0] & 0x10 != 0 {
        let ext = p.get(at + 2..at + 4)?;
        at += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    (at <= p.len()).then_some(RtpHeader {
        pt: p[1] & 0x7f,
        seq: u16::from_be_bytes([p[2], p[3]]),
        ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        payload_at: at,
    })
}

/// Whether a datagram is RTCP (RFC 5761 §4: PT 192–223 in the second octet).
pub fn is_rtcp(p: &[u8]) -> bool {
    p.len() >= 8 && p[0] >> 6 == 2 && (192..=223).contains(&p[1])
}

/// The current time as a 64-bit NTP timestamp.
fn ntp64() -> u64 {
    prose_sec::mikey::ntp_now().unwrap_or(0)
}

/// An RTCP compound packet: a sender report (RFC 3550 §6.4.1) followed by an SDES CNAME.
pub fn rtcp_sr(ssrc: u32, rtp_ts: u32, packets: u32, octets: u32, cname: &str) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&ntp64().to_be_bytes());
    p.extend_from_slice(&rtp_ts.to_be_bytes());
    p.extend_from_slice(&packets.to_be_bytes());
    p.extend_from_slice(&octets.to_be_bytes());
    sdes(&mut p, ssrc, cname);
    p
}

/// Reception statistics of one source for a receiver report block.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportBlock {
    /// The source.
    pub ssrc: u32,
    /// Fraction lost since the last report (x/256).
    pub fraction_lost: u8,
    /// Cumulative packets lost (24 bits).
    pub lost: u32,
    /// Extended highest sequence number received.
    pub highest: u32,
    /// Interarrival jitter.
    pub jitter: u32,
}

/// An RTCP compound packet: a receiver report (RFC 3550 §6.4.2) with one block, and SDES.
pub fn rtcp_rr(ssrc: u32, b: &ReportBlock, cname: &str) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&b.ssrc.to_be_bytes());
    p.push(b.fraction_lost);
    p.extend_from_slice(&(b.lost & 0x00ff_ffff).to_be_bytes()[1..]);
    p.extend_from_slice(&b.highest.to_be_bytes());
    p.extend_from_slice(&b.jitter.to_be_bytes());
    p.extend_from_slice(&[0; 8]); // LSR, DLSR
    sdes(&mut p, ssrc, cname);
    p
}

fn sdes(p: &mut Vec<u8>, ssrc: u32, cname: &str) {
    let name = &cname.as_bytes()[..cname.len().min(255)];
    let body = 4 + 2 + name.len() + 1;
    let words = body.div_ceil(4);
    p.extend_from_slice(&[0x81, 202]);
    p.extend_from_slice(&(words as u16).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.push(1);
    p.push(name.len() as u8);
    p.extend_from_slice(name);
    p.resize(p.len() + words * 4 - body + 1, 0);
}

/// RTCP packet types found in a compound packet (PT of each part); `None` if malformed.
pub fn rtcp_types(p: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < p.len() {
        let h = p.get(at..at + 4)?;
        if h[0] >> 6 != 2 {
            return None;
        }
        out.push(h[1]);
        at += 4 + 4 * usize::from(u16::from_be_bytes([h[2], h[3]]));
    }
    (at == p.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_points() {
        // G.711 table points: 0 → 0xFF, full scale → 0x80/0x00, -1 → 0x7F.
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_encode(32_767), 0x80);
        assert_eq!(ulaw_encode(-32_768), 0x00);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(ulaw_decode(0x00), -32_124);
        // Decoding then encoding is the identity on every code but the negative zero.
        for u in 0..=255u8 {
            let back = ulaw_encode(ulaw_decode(u));
            assert!(back == u || (u == 0x7f && back == 0xff), "{u:#x}");
        }
    }

    #[test]
    fn rtp_and_rtcp_shapes() {
        let p = rtp_packet(0, true, 7, 160, 0xabcd, &[1, 2, 3], 0);
        let h = parse_rtp(&p).unwrap();
        assert_eq!(
            (h.pt, h.seq, h.ts, h.ssrc, h.payload_at),
            (0, 7, 160, 0xabcd, 12)
        );
        assert!(!is_rtcp(&p));
        let sr = rtcp_sr(1, 2, 3, 4, "a@b");
        assert!(is_rtcp(&sr));
        assert_eq!(rtcp_types(&sr), Some(vec![200, 202]));
        let rr = rtcp_rr(1, &ReportBlock::default(), "member-1");
        assert_eq!(rtcp_types(&rr), Some(vec![201, 202]));
    }

    #[test]
    fn default_signal_is_deterministic_and_audible() {
        let a = default_signal(1.0);
        assert_eq!(a, default_signal(1.0));
        assert_eq!(a.len(), 8000);
        assert!(a.iter().map(|s| i32::from(*s).abs()).max().unwrap() > 5000);
    }
}
