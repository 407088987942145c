//! `prose_sec.SrtpSession`.

use crate::{exception_instance, to_py};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

/// Largest packet handled without a heap buffer (Ethernet MTU and then some).
const STACK: usize = 2048;

fn master_key(py: Python<'_>, key: &[u8], salt: &[u8], mki: &[u8]) -> PyResult<MasterKey> {
    let k = MasterKey::new(key, salt).map_err(|e| to_py(py, e))?;
    if mki.is_empty() {
        Ok(k)
    } else {
        k.with_mki(mki).map_err(|e| to_py(py, e))
    }
}

/// An SRTP/SRTCP session (one profile, master keys named by MKIs, many SSRCs).
#[pyclass(module = "prose_sec._native")]
pub struct SrtpSession {
    pub(crate) inner: Session,
}

pub(crate) type Op = fn(&mut Session, &mut [u8], usize) -> prose_sec::Result<usize>;

/// Runs `op` on a copy of `packet` with room for the trailer; returns the output packet.
pub(crate) fn copy_op<'py>(
    py: Python<'py>,
    session: &mut Session,
    packet: &[u8],
    op: Op,
) -> PyResult<Bound<'py, PyBytes>> {
    let need = packet.len() + session.max_overhead();
    let mut stack = [0u8; STACK];
    let mut heap;
    let buf: &mut [u8] = if need <= STACK {
        &mut stack[..need]
    } else {
        heap = vec![0u8; need];
        &mut heap
    };
    buf[..packet.len()].copy_from_slice(packet);
    let n = op(session, buf, packet.len()).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &buf[..n]))
}

impl SrtpSession {
    fn copy_op<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
        op: Op,
    ) -> PyResult<Bound<'py, PyBytes>> {
        copy_op(py, &mut self.inner, packet, op)
    }

    fn in_place(
        &mut self,
        py: Python<'_>,
        buf: &Bound<'_, PyByteArray>,
        length: Option<usize>,
        op: Op,
    ) -> PyResult<usize> {
        // SAFETY: we hold the GIL and run no Python code while the slice is alive, so the
        // bytearray cannot be resized or freed under us.
        let bytes = unsafe { buf.as_bytes_mut() };
        let len = length.unwrap_or(bytes.len());
        op(&mut self.inner, bytes, len).map_err(|e| to_py(py, e))
    }
}

type BatchOp = fn(
    &mut Session,
    &mut [(&mut [u8], usize)],
    &mut [prose_sec::Result<usize>],
) -> prose_sec::Result<()>;

impl SrtpSession {
    /// Runs a batch operation and returns one result per packet: the output packet as bytes,
    /// or the packet's error as an exception instance (not raised). A failed packet leaves the
    /// session as it was; the other packets of the batch are committed either way, so raising on
    /// the first failure would lose them.
    fn batch<'py>(
        &mut self,
        py: Python<'py>,
        mut packets: Vec<Vec<u8>>,
        op: BatchOp,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let overhead = self.inner.max_overhead();
        let lens: Vec<usize> = packets.iter().map(Vec::len).collect();
        for p in packets.iter_mut() {
            p.resize(p.len() + overhead, 0);
        }
        let mut bufs: Vec<(&mut [u8], usize)> = packets
            .iter_mut()
            .zip(&lens)
            .map(|(p, &l)| (p.as_mut_slice(), l))
            .collect();
        let mut results = vec![Ok(0); bufs.len()];
        op(&mut self.inner, &mut bufs, &mut results).map_err(|e| to_py(py, e))?;
        results
            .iter()
            .zip(&packets)
            .map(|(r, p)| match r {
                Ok(n) => Ok(PyBytes::new(py, &p[..*n]).into_any()),
                Err(e) => exception_instance(py, *e),
            })
            .collect()
    }
}

#[pymethods]
impl SrtpSession {
    /// `profile`: a profile id (see the `PROFILE_*` constants); `key`/`salt`: the master key and
    /// salt; `mki`: 0–4 octets naming the key on the wire; `replay_window`/`max_streams`: 0 for
    /// the defaults (128, 64).
    #[new]
    #[pyo3(signature = (profile, key, salt, mki = b"".as_slice(), replay_window = 0, max_streams = 0))]
    fn new(
        py: Python<'_>,
        profile: u16,
        key: &[u8],
        salt: &[u8],
        mki: &[u8],
        replay_window: usize,
        max_streams: usize,
    ) -> PyResult<Self> {
        let profile = Profile::from_id(profile).map_err(|e| to_py(py, e))?;
        let mut policy = Policy::new(profile, master_key(py, key, salt, mki)?);
        if replay_window != 0 {
            policy = policy.with_replay_window(replay_window);
        }
        if max_streams != 0 {
            policy = policy.with_max_streams(max_streams);
        }
        let inner = Session::new(&policy).map_err(|e| to_py(py, e))?;
        Ok(SrtpSession { inner })
    }

    /// The most octets protecting adds to a packet.
    #[getter]
    fn max_overhead(&self) -> usize {
        self.inner.max_overhead()
    }

    /// Protects an RTP packet; returns the SRTP packet.
    fn protect_rtp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.copy_op(py, packet, Session::protect_rtp)
    }

    /// Verifies and decrypts an SRTP packet; returns the RTP packet.
    fn unprotect_rtp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.copy_op(py, packet, Session::unprotect_rtp)
    }

    /// Protects an RTCP compound packet; returns the SRTCP packet.
    fn protect_rtcp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.copy_op(py, packet, Session::protect_rtcp)
    }

    /// Verifies and decrypts an SRTCP packet; returns the RTCP packet.
    fn unprotect_rtcp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.copy_op(py, packet, Session::unprotect_rtcp)
    }

    /// Protects the RTP packet in `buf[:length]` in place (no copy); `buf` needs
    /// `max_overhead` spare octets. Returns the new length.
    #[pyo3(signature = (buf, length = None))]
    fn protect_rtp_into(
        &mut self,
        py: Python<'_>,
        buf: &Bound<'_, PyByteArray>,
        length: Option<usize>,
    ) -> PyResult<usize> {
        self.in_place(py, buf, length, Session::protect_rtp)
    }

    /// Unprotects the SRTP packet in `buf[:length]` in place. Returns the new length.
    #[pyo3(signature = (buf, length = None))]
    fn unprotect_rtp_into(
        &mut self,
        py: Python<'_>,
        buf: &Bound<'_, PyByteArray>,
        length: Option<usize>,
    ) -> PyResult<usize> {
        self.in_place(py, buf, length, Session::unprotect_rtp)
    }

    /// Protects the RTCP packet in `buf[:length]` in place. Returns the new length.
    #[pyo3(signature = (buf, length = None))]
    fn protect_rtcp_into(
        &mut self,
        py: Python<'_>,
        buf: &Bound<'_, PyByteArray>,
        length: Option<usize>,
    ) -> PyResult<usize> {
        self.in_place(py, buf, length, Session::protect_rtcp)
    }

    /// Unprotects the SRTCP packet in `buf[:length]` in place. Returns the new length.
    #[pyo3(signature = (buf, length = None))]
    fn unprotect_rtcp_into(
        &mut self,
        py: Python<'_>,
        buf: &Bound<'_, PyByteArray>,
        length: Option<usize>,
    ) -> PyResult<usize> {
        self.in_place(py, buf, length, Session::unprotect_rtcp)
    }

    /// Protects many RTP packets in one call (faster per packet than single calls). Returns a
    /// list with one entry per packet: the SRTP packet (bytes), or the exception instance
    /// (a `ProseError` subclass, not raised) for a packet that failed.
    fn protect_rtp_batch<'py>(
        &mut self,
        py: Python<'py>,
        packets: Vec<Vec<u8>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.batch(py, packets, Session::protect_rtp_batch)
    }

    /// Unprotects many SRTP packets in one call. Returns a list with one entry per packet: the
    /// RTP packet (bytes), or the exception instance (not raised) for a packet that failed
    /// (forged, duplicate, too old). Good packets of the batch are accepted either way.
    fn unprotect_rtp_batch<'py>(
        &mut self,
        py: Python<'py>,
        packets: Vec<Vec<u8>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.batch(py, packets, Session::unprotect_rtp_batch)
    }

    /// The rollover counter of `ssrc`, or None if the SSRC is unknown.
    fn roc(&self, ssrc: u32) -> Option<u32> {
        self.inner.roc(ssrc)
    }

    /// Sets the rollover counter of `ssrc` (late joiners), creating the stream if absent.
    fn set_roc(&mut self, py: Python<'_>, ssrc: u32, roc: u32) -> PyResult<()> {
        self.inner.set_roc(ssrc, roc).map_err(|e| to_py(py, e))
    }

    /// Adds a master key named by `mki`.
    fn add_key(&mut self, py: Python<'_>, key: &[u8], salt: &[u8], mki: &[u8]) -> PyResult<()> {
        let k = master_key(py, key, salt, mki)?;
        self.inner.add_key(k).map_err(|e| to_py(py, e))
    }

    /// Removes the master key named by `mki`.
    fn remove_key(&mut self, py: Python<'_>, mki: &[u8]) -> PyResult<()> {
        self.inner.remove_key(mki).map_err(|e| to_py(py, e))
    }

    /// Chooses the master key used for protecting from now on.
    fn set_send_mki(&mut self, py: Python<'_>, mki: &[u8]) -> PyResult<()> {
        self.inner.set_send_mki(mki).map_err(|e| to_py(py, e))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SrtpSession>()?;
    for p in Profile::ALL {
        m.add(format!("PROFILE_{}", p.name()).as_str(), p.id())?;
    }
    Ok(())
}
