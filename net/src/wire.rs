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

/// A UDP socket on 127.0.0.1 with a port from the OS and a large receive buffer.
pub fn unicast() -> anyhow::Result<UdpSocket> {
    unicast_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
}

/// A UDP socket bound to `addr` (IPv4 or IPv6; port 0: one from the OS) with a large
/// receive buffer.
pub fn unicast_on(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        None,
    )?;
    let _ = s.set_recv_buffer_size(4 << 20);
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
    let _ = s.set_recv_buffer_size(1 << 20);
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
