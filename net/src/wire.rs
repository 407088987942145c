//! Sockets and the capture: every datagram a node sends goes through [`Wire::send`], which
//! writes it to the pcap file (when one is open) with synthesized IPv4/UDP headers and the
//! real addresses and ports, so Wireshark shows the run as it went over loopback.

use std::fs::File;
use std::io::BufWriter;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use tokio::net::UdpSocket;

/// The shared sending side of a run: the optional capture and the datagram counters.
#[derive(Default)]
pub struct Wire {
    pcap: Option<Mutex<Option<PcapWriter<BufWriter<File>>>>>,
    /// Datagrams sent.
    pub datagrams: AtomicU64,
    /// Octets sent (UDP payloads).
    pub octets: AtomicU64,
}

impl core::fmt::Debug for Wire {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wire")
            .field("pcap", &self.pcap.is_some())
            .field("datagrams", &self.datagrams.load(Ordering::Relaxed))
            .finish()
    }
}

impl Wire {
    /// A wire without a capture.
    pub fn new() -> Self {
        Wire::default()
    }

    /// A wire capturing to `path` (LINKTYPE_IPV4).
    pub fn with_pcap(path: &Path) -> anyhow::Result<Self> {
        let f = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
        let header = PcapHeader {
            datalink: DataLink::IPV4,
            ..PcapHeader::default()
        };
        let w = PcapWriter::with_header(BufWriter::new(f), header)?;
        Ok(Wire {
            pcap: Some(Mutex::new(Some(w))),
            ..Wire::default()
        })
    }

    /// Sends `data` to `dst` from `sock`, recording it.
    pub async fn send(
        &self,
        sock: &UdpSocket,
        data: &[u8],
        dst: SocketAddr,
    ) -> std::io::Result<()> {
        sock.send_to(data, dst).await?;
        self.datagrams.fetch_add(1, Ordering::Relaxed);
        self.octets.fetch_add(data.len() as u64, Ordering::Relaxed);
        if let Some(p) = &self.pcap {
            let src = sock.local_addr()?;
            self.record(p, src, dst, data);
        }
        Ok(())
    }

    fn record(
        &self,
        p: &Mutex<Option<PcapWriter<BufWriter<File>>>>,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
    ) {
        let v4 = |a: SocketAddr| match a {
            SocketAddr::V4(a) if !a.ip().is_unspecified() => a,
            SocketAddr::V4(a) => SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.port()),
            SocketAddr::V6(a) => SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.port()),
        };
        let frame = ipv4_udp(v4(src), v4(dst), data);
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        if let Ok(mut g) = p.lock() {
            let Some(w) = g.as_mut() else { return };
            let _ = w.write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame));
        }
    }

    /// Ends the capture: flushes and closes the file (datagrams sent later are not recorded).
    pub fn finish(&self) -> anyhow::Result<()> {
        use std::io::Write;
        if let Some(p) = &self.pcap {
            let w = p
                .lock()
                .map_err(|_| anyhow::anyhow!("capture lock poisoned"))?
                .take();
            if let Some(w) = w {
                w.into_writer().flush()?;
            }
        }
        Ok(())
    }
}

/// An IPv4 header (with its checksum) and a UDP header (checksum 0, allowed over IPv4) around
/// `data`.
pub fn ipv4_udp(src: SocketAddrV4, dst: SocketAddrV4, data: &[u8]) -> Vec<u8> {
    let udp_len = 8 + data.len();
    let total = 20 + udp_len;
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&(total.min(65_535) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
    p.extend_from_slice(&src.ip().octets());
    p.extend_from_slice(&dst.ip().octets());
    let mut sum = 0u32;
    for c in p.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    p[10..12].copy_from_slice(&ck.to_be_bytes());
    p.extend_from_slice(&src.port().to_be_bytes());
    p.extend_from_slice(&dst.port().to_be_bytes());
    p.extend_from_slice(&(udp_len.min(65_535) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(data);
    p
}

/// The socket buffer size every node asks for, receive and send (the kernel caps it at
/// `net.core.rmem_max` / `wmem_max` and reports twice what it keeps for its bookkeeping).
pub const SOCKET_BUFFER: usize = 8 << 20;

static RCV_GRANTED: AtomicU64 = AtomicU64::new(u64::MAX);
static SND_GRANTED: AtomicU64 = AtomicU64::new(u64::MAX);

/// What the kernel granted for the sockets of this process, against [`SOCKET_BUFFER`] asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Buffers {
    /// Asked for (each direction).
    pub asked: u64,
    /// The smallest receive buffer granted (as `getsockopt(SO_RCVBUF)` reports it); 0 if no
    /// socket was made.
    pub rcv_granted: u64,
    /// The smallest send buffer granted.
    pub snd_granted: u64,
}

/// The buffers granted so far (see [`Buffers`]).
pub fn buffers() -> Buffers {
    let g = |a: &AtomicU64| match a.load(Ordering::Relaxed) {
        u64::MAX => 0,
        v => v,
    };
    Buffers {
        asked: SOCKET_BUFFER as u64,
        rcv_granted: g(&RCV_GRANTED),
        snd_granted: g(&SND_GRANTED),
    }
}

/// Asks for [`SOCKET_BUFFER`] in both directions and records what was granted. A node on a
/// loaded machine may not read its socket for a while; the receive buffer is what holds the
/// datagrams meanwhile (the default, about 200 KB, is a few hundred datagrams).
fn set_buffers(s: &socket2::Socket) {
    let _ = s.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = s.set_send_buffer_size(SOCKET_BUFFER);
    if let Ok(n) = s.recv_buffer_size() {
        RCV_GRANTED.fetch_min(n as u64, Ordering::Relaxed);
    }
    if let Ok(n) = s.send_buffer_size() {
        SND_GRANTED.fetch_min(n as u64, Ordering::Relaxed);
    }
}

/// Datagram drops the kernel counted (Linux: `/proc/net/snmp` and `/proc/net/softnet_stat`;
/// they count every socket of the network namespace, not only this run's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelDrops {
    /// UDP datagrams dropped because a receive buffer was full (`Udp: RcvbufErrors`).
    pub rcvbuf_errors: u64,
    /// UDP sends that failed for a full send buffer (`Udp: SndbufErrors`).
    pub sndbuf_errors: u64,
    /// UDP datagrams received in error (`Udp: InErrors`, includes the receive buffer drops).
    pub in_errors: u64,
    /// Packets dropped from the per-CPU input backlog (`softnet_stat`, second column; loopback
    /// delivers through it, `net.core.netdev_max_backlog` long).
    pub backlog_drops: u64,
}

impl KernelDrops {
    /// The counters now (zeros where they cannot be read).
    pub fn now() -> Self {
        let mut d = KernelDrops::default();
        if let Ok(t) = std::fs::read_to_string("/proc/net/snmp") {
            let mut udp = t.lines().filter(|l| l.starts_with("Udp:"));
            if let (Some(h), Some(v)) = (udp.next(), udp.next()) {
                for (k, v) in h.split_whitespace().zip(v.split_whitespace()).skip(1) {
                    let v = v.parse().unwrap_or(0);
                    match k {
                        "RcvbufErrors" => d.rcvbuf_errors = v,
                        "SndbufErrors" => d.sndbuf_errors = v,
                        "InErrors" => d.in_errors = v,
                        _ => {}
                    }
                }
            }
        }
        if let Ok(t) = std::fs::read_to_string("/proc/net/softnet_stat") {
            d.backlog_drops = t
                .lines()
                .filter_map(|l| l.split_whitespace().nth(1))
                .filter_map(|c| u64::from_str_radix(c, 16).ok())
                .sum();
        }
        d
    }

    /// The counts since `before`.
    pub fn since(&self, before: &KernelDrops) -> KernelDrops {
        KernelDrops {
            rcvbuf_errors: self.rcvbuf_errors.saturating_sub(before.rcvbuf_errors),
            sndbuf_errors: self.sndbuf_errors.saturating_sub(before.sndbuf_errors),
            in_errors: self.in_errors.saturating_sub(before.in_errors),
            backlog_drops: self.backlog_drops.saturating_sub(before.backlog_drops),
        }
    }
}

/// Datagrams a node sends in a fan-out before it lets the other tasks of its runtime (the
/// members of an in-process run, which must read and decrypt what it sends) have the thread.
pub const BURST: usize = 100;

/// Paces a fan-out: every [`BURST`] datagrams the task yields to the runtime, so a relay of
/// 1000 copies does not hold a worker thread while the receivers' queues fill. It does not
/// sleep: a sleeping relay falls behind the media on a loaded machine.
#[derive(Debug, Default)]
pub struct Pacer {
    sent: usize,
    /// Pauses taken.
    pub pauses: u64,
}

impl Pacer {
    /// One datagram was sent; yields after each [`BURST`].
    pub async fn sent(&mut self) {
        self.sent += 1;
        if self.sent.is_multiple_of(BURST) {
            self.pauses += 1;
            tokio::task::yield_now().await;
        }
    }
}

/// A UDP socket on 127.0.0.1 with a port from the OS and large buffers.
pub fn unicast() -> anyhow::Result<UdpSocket> {
    unicast_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
}

/// A UDP socket bound to `addr` (IPv4 or IPv6; port 0: one from the OS) with large buffers
/// ([`SOCKET_BUFFER`]).
pub fn unicast_on(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        None,
    )?;
    set_buffers(&s);
    s.bind(&addr.into())
        .with_context(|| format!("binding {addr}"))?;
    s.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(s.into())?)
}

/// The address to give a peer at `peer` for a socket bound to `bound`: `bound` itself, or,
/// when bound to the unspecified address (`0.0.0.0`, `::`), the local address the system
/// routes to `peer` from, with `bound`'s port.
pub fn advertised(bound: SocketAddr, peer: SocketAddr) -> SocketAddr {
    if !bound.ip().is_unspecified() {
        return bound;
    }
    let any: SocketAddr = if peer.is_ipv4() {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    };
    let ip = std::net::UdpSocket::bind(any)
        .and_then(|s| {
            s.connect(peer)?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(bound.ip());
    SocketAddr::new(ip, bound.port())
}

/// A socket that receives the multicast group `group` on `port` through loopback (port shared
/// with the other members: SO_REUSEADDR and SO_REUSEPORT).
pub fn multicast_receiver(group: Ipv4Addr, port: u16) -> anyhow::Result<UdpSocket> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    set_buffers(&s);
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
    s.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
        .context("joining the multicast group on loopback")?;
    s.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(s.into())?)
}

/// A port for a multicast group: a socket bound to it (SO_REUSEPORT) that holds it for the run.
pub fn multicast_port() -> anyhow::Result<(socket2::Socket, u16)> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).into())?;
    let port = s
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .context("no port")?;
    Ok((s, port))
}

/// A unicast socket on loopback that sends to multicast groups through loopback.
pub fn multicast_sender() -> anyhow::Result<UdpSocket> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    s.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)?;
    s.set_multicast_loop_v4(true)?;
    s.set_multicast_ttl_v4(1)?;
    set_buffers(&s);
    s.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    s.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(s.into())?)
}

/// A counter of packets by reason.
pub type Reasons = std::collections::BTreeMap<String, u64>;

/// Adds one to `reason`.
pub fn count(r: &mut Reasons, reason: &str) {
    *r.entry(reason.to_owned()).or_default() += 1;
}
