//! The initiating member (seed 6.Z.4.5), sans-IO, `prose` profile: it makes a GSK, a master
//! salt and a GSK-ID, keeps its SRTP send session (the GSK-ID as MKI), and produces the GSK
//! offer — pre-generated at start (the seed's NOTE allows it) and again for late entry on a
//! re-send schedule (every 5 s by default), each time with a fresh T and RAND and the current
//! ROCs of its SSRCs.

use crate::eccsi::SigningKey;
use crate::group::{self, GmkStore, GskKeys};
use crate::mikey::ReceivedGmk;
use crate::srtp::{MasterKey, Policy, Profile, Session};
use crate::{Error, Result};

/// Seconds between re-sent offers by default (the seed suggests a few seconds).
pub const DEFAULT_RESEND_SECS: u64 = 5;

/// What a call is: the HDR PRF of the profile (`prose` [`crate::mikey::prf_id::MIKEY_1`],
/// `mcptt` [`crate::mikey::prf_id::HMAC_SHA256`]), the group and the initiator, the SRTP
/// profile and the SSRCs the initiator sends from.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// HDR PRF.
    pub prf: u8,
    /// Group URI (IDRr of the offers).
    pub group_uri: &'a [u8],
    /// Initiator URI (IDRi; its identifier signs the offers).
    pub initiator_uri: &'a [u8],
    /// SRTP profile.
    pub profile: Profile,
    /// Sending SSRCs (1 to 255).
    pub ssrcs: &'a [u32],
}

/// An initiator's call: the GSK, its send session and the offer schedule. `Debug` shows no key.
pub struct Initiator {
    group_uri: Vec<u8>,
    initiator_uri: Vec<u8>,
    gmk_id: u32,
    gmk: ReceivedGmk,
    prf: u8,
    profile: Profile,
    gsk: group::SecretBytes,
    salt: group::SecretBytes,
    gsk_id: u32,
    ssrcs: Vec<u32>,
    session: Session,
    resend_secs: u64,
    next_due: u64,
    offer: Vec<u8>,
}

impl core::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Initiator")
            .field("group", &String::from_utf8_lossy(&self.group_uri))
            .field("gmk_id", &self.gmk_id)
            .field("gsk_id", &self.gsk_id)
            .field("ssrcs", &self.ssrcs)
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// Starts a call of `initiator_uri` to `group_uri` at `now_ntp_secs` under the group's
    /// current GMK in `store`, sending from `ssrcs` with `profile`: a fresh GSK, salt and GSK-ID,
    /// the send session, and the first offer. `UnknownKey` if the store has no usable GMK of
    /// the group.
    pub fn start(
        store: &GmkStore,
        group_uri: &[u8],
        initiator_uri: &[u8],
        profile: Profile,
        ssrcs: &[u32],
        now_ntp_secs: u64,
        signer: Option<&SigningKey>,
    ) -> Result<Self> {
        let gmk = store
            .current(group_uri, now_ntp_secs)
            .ok_or(Error::UnknownKey)?;
        let call = Call {
            prf: crate::mikey::prf_id::MIKEY_1,
            group_uri,
            initiator_uri,
            profile,
            ssrcs,
        };
        Self::under(gmk, &call, now_ntp_secs, signer)
    }

    /// Starts `call` at `now_ntp_secs` under `gmk` (in either profile; the offers use the
    /// call's PRF): a fresh GSK, salt and GSK-ID, the send session, and the first offer.
    pub fn under(
        gmk: &ReceivedGmk,
        call: &Call<'_>,
        now_ntp_secs: u64,
        signer: Option<&SigningKey>,
    ) -> Result<Self> {
        if call.ssrcs.is_empty() || call.ssrcs.len() > 255 || call.group_uri.is_empty() {
            return Err(Error::InvalidParameter);
        }
        let (gsk, salt) = group::generate_gsk(call.profile)?;
        let gsk_id = group::generate_gsk_id()?;
        let key = MasterKey::new(&gsk, &salt)?.with_mki(&gsk_id.to_be_bytes())?;
        let session = Session::new(&Policy::new(call.profile, key))?;
        let mut me = Initiator {
            group_uri: call.group_uri.to_vec(),
            initiator_uri: call.initiator_uri.to_vec(),
            gmk_id: gmk.gmk_id(),
            // Keep only this GMK: the offer is rebuilt from it for every re-send.
            gmk: gmk.clone(),
            prf: call.prf,
            profile: call.profile,
            gsk,
            salt,
            gsk_id,
            ssrcs: call.ssrcs.to_vec(),
            session,
            resend_secs: DEFAULT_RESEND_SECS,
            next_due: now_ntp_secs,
            offer: Vec::new(),
        };
        me.offer = me.build(now_ntp_secs, signer)?;
        me.next_due = now_ntp_secs + me.resend_secs;
        Ok(me)
    }

    /// Sets the re-send interval (at least one second); the re-send already scheduled moves
    /// with it (it falls due `secs` after the last offer built).
    pub fn set_resend_secs(&mut self, secs: u64) -> Result<()> {
        if secs == 0 {
            return Err(Error::InvalidParameter);
        }
        self.next_due = self
            .next_due
            .saturating_sub(self.resend_secs)
            .saturating_add(secs);
        self.resend_secs = secs;
        Ok(())
    }

    fn build(&self, now_ntp_secs: u64, signer: Option<&SigningKey>) -> Result<Vec<u8>> {
        let senders: Vec<(u32, u32)> = self
            .ssrcs
            .iter()
            .map(|&s| (s, self.session.roc(s).unwrap_or(0)))
            .collect();
        let keys = GskKeys {
            prf: self.prf,
            gmk: self.gmk.gmk(),
            gmk_id: self.gmk_id,
            profile: self.profile,
            gsk: &self.gsk,
            salt: &self.salt,
            gsk_id: self.gsk_id,
        };
        group::build_gsk_offer_under(
            &keys,
            &self.initiator_uri,
            &self.group_uri,
            &senders,
            now_ntp_secs,
            signer,
        )
    }

    /// The offer made at start (the pre-generated one, to send with the call set-up).
    pub fn first_offer(&self) -> &[u8] {
        &self.offer
    }

    /// The SDP offer of the first offer: session-level `a=key-mgmt:mikey` (RFC 4567) and one
    /// audio stream of `profile` on `port`.
    pub fn sdp_offer(&self, origin_addr: &str, port: u16) -> String {
        format!(
            "v=0\r\no=- {id} 1 IN IP4 {origin_addr}\r\ns=-\r\nc=IN IP4 {origin_addr}\r\nt=0 0\r\n{km}\r\nm=audio {port} RTP/SAVP 0\r\na=sendonly\r\n",
            id = self.gsk_id,
            km = crate::sdp::format_key_mgmt(&self.offer),
        )
    }

    /// The offer to re-send now for late entry, if one is due at `now_ntp_secs` (fresh T and
    /// RAND, the current ROCs); the next is then due `resend_secs` later.
    pub fn resend_due(
        &mut self,
        now_ntp_secs: u64,
        signer: Option<&SigningKey>,
    ) -> Result<Option<Vec<u8>>> {
        if now_ntp_secs < self.next_due {
            return Ok(None);
        }
        let offer = self.build(now_ntp_secs, signer)?;
        self.next_due = now_ntp_secs + self.resend_secs;
        Ok(Some(offer))
    }

    /// The GSK-ID (also the SRTP MKI).
    pub fn gsk_id(&self) -> u32 {
        self.gsk_id
    }

    /// The GMK-ID the offers are made under.
    pub fn gmk_id(&self) -> u32 {
        self.gmk_id
    }

    /// The SRTP send session (protect media with it).
    pub fn session(&mut self) -> &mut Session {
        &mut self.session
    }
}
