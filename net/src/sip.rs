//! The SIP subset of the calls (RFC 3261 syntax): requests INVITE, ACK, BYE and MESSAGE,
//! responses (100 Trying, 200 OK, errors), and the headers Via, From, To, Call-ID, CSeq,
//! Contact, Max-Forwards, Content-Type and Content-Length.
//!
//! Written by hand: the SIP crates on crates.io are either unmaintained or lenient parsers of
//! the whole grammar, while this layer needs a small, strict one that can be fuzzed on its
//! own. The parser refuses what it does not understand rather than guess: lines end in CRLF,
//! no header folding, header names are tokens, the compact forms of RFC 3261 §7.3.3 are read
//! for the headers above, a request carries every mandatory header (§8.1.1), CSeq names the
//! request's method, and Content-Length is present and equals the body length exactly.

use core::fmt;

/// The longest message accepted (one UDP datagram).
pub const MAX_MESSAGE_LEN: usize = 65_507;
/// The most headers accepted in one message.
pub const MAX_HEADERS: usize = 64;

/// Why a SIP message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SipError {
    /// Longer than [`MAX_MESSAGE_LEN`].
    TooLong,
    /// Not UTF-8 in the start line or the headers.
    NotText,
    /// No empty line ends the headers.
    NoHeaderEnd,
    /// A line ends in LF alone, or a bare CR.
    BadLineEnd,
    /// The start line is malformed.
    BadStartLine,
    /// A method outside the subset.
    UnsupportedMethod,
    /// Not `SIP/2.0`.
    BadVersion,
    /// A header line is malformed (no colon, a name that is not a token, folding).
    BadHeader,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// A mandatory header is missing.
    MissingHeader(&'static str),
    /// A header that may appear once appears again.
    DuplicateHeader(&'static str),
    /// CSeq is not `number METHOD` or names another method than the request's.
    BadCSeq,
    /// Max-Forwards is not a number up to 255.
    BadMaxForwards,
    /// Content-Length is not a number or differs from the body length.
    BadContentLength,
    /// A body without a Content-Type.
    MissingContentType,
}

impl fmt::Display for SipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SipError::MissingHeader(h) => write!(f, "missing header {h}"),
            SipError::DuplicateHeader(h) => write!(f, "header {h} appears twice"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl std::error::Error for SipError {}

/// The methods of the subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// MESSAGE (RFC 3428).
    Message,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Message => "MESSAGE",
        }
    }

    fn parse(s: &str) -> Result<Method, SipError> {
        Ok(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "MESSAGE" => Method::Message,
            _ if !s.is_empty() && s.bytes().all(is_token) => {
                return Err(SipError::UnsupportedMethod)
            }
            _ => return Err(SipError::BadStartLine),
        })
    }
}

/// A request line or a status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD Request-URI SIP/2.0`.
    Request {
        /// Method.
        method: Method,
        /// Request-URI.
        uri: String,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code (100–699).
        code: u16,
        /// Reason phrase.
        reason: String,
    },
}

/// A SIP message: start line, headers in order (canonical names), body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipMessage {
    /// Start line.
    pub start: StartLine,
    headers: Vec<(&'static str, String)>,
    /// Body octets.
    pub body: Vec<u8>,
}

const KNOWN: [(&str, &str); 9] = [
    ("via", "Via"),
    ("from", "From"),
    ("to", "To"),
    ("call-id", "Call-ID"),
    ("cseq", "CSeq"),
    ("contact", "Contact"),
    ("max-forwards", "Max-Forwards"),
    ("content-type", "Content-Type"),
    ("content-length", "Content-Length"),
];

const COMPACT: [(&str, &str); 7] = [
    ("v", "Via"),
    ("f", "From"),
    ("t", "To"),
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("c", "Content-Type"),
    ("l", "Content-Length"),
];

/// Headers outside the subset that are kept (as "other") but not interpreted.
const OTHER: &str = "";

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

fn canonical(name: &str) -> Result<&'static str, SipError> {
    if name.is_empty() || !name.bytes().all(is_token) {
        return Err(SipError::BadHeader);
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, c)) = KNOWN.iter().find(|(l, _)| *l == lower) {
        return Ok(c);
    }
    if let Some((_, c)) = COMPACT.iter().find(|(l, _)| *l == lower) {
        return Ok(c);
    }
    Ok(OTHER)
}

fn text(b: &[u8]) -> Result<&str, SipError> {
    let s = core::str::from_utf8(b).map_err(|_| SipError::NotText)?;
    if s.bytes().any(|c| c == b'\r' || c == b'\n' || c == 0) {
        return Err(SipError::BadLineEnd);
    }
    Ok(s)
}

impl SipMessage {
    /// A request with no headers yet.
    pub fn request(method: Method, uri: &str) -> Self {
        SipMessage {
            start: StartLine::Request {
                method,
                uri: uri.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response to `req`: its Via, From, To (with `to_tag` added when given and the To has
    /// none), Call-ID and CSeq copied (RFC 3261 §8.2.6.2).
    pub fn response_to(req: &SipMessage, code: u16, reason: &str, to_tag: Option<&str>) -> Self {
        let mut r = SipMessage {
            start: StartLine::Response {
                code,
                reason: reason.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        for (n, v) in &req.headers {
            match *n {
                "Via" | "From" | "Call-ID" | "CSeq" => r.headers.push((n, v.clone())),
                "To" => {
                    let v = match to_tag {
                        Some(t) if !v.contains(";tag=") => format!("{v};tag={t}"),
                        _ => v.clone(),
                    };
                    r.headers.push((n, v));
                }
                _ => {}
            }
        }
        r
    }

    /// Adds a header (by its canonical name: one of the subset's).
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body and its Content-Type.
    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers.retain(|(n, _)| *n != "Content-Type");
        self.headers.push(("Content-Type", content_type.to_owned()));
        self.body = body;
        self
    }

    /// The first value of a header (canonical name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// The method of a request, or of the CSeq of a response.
    pub fn method(&self) -> Option<Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(*method),
            StartLine::Response { .. } => self.cseq().map(|(_, m)| m),
        }
    }

    /// The status code of a response.
    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// CSeq as (number, method).
    pub fn cseq(&self) -> Option<(u32, Method)> {
        parse_cseq(self.header("CSeq")?).ok()
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    /// The wire form; Content-Length is written from the body (in the place of the one given,
    /// or last).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = match &self.start {
            StartLine::Request { method, uri } => format!("{} {uri} SIP/2.0\r\n", method.as_str()),
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {reason}\r\n"),
        };
        let mut length_written = false;
        for (n, v) in &self.headers {
            if *n == "Content-Length" {
                if !length_written {
                    s.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
                    length_written = true;
                }
                continue;
            }
            s.push_str(n);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        if !length_written {
            s.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        s.push_str("\r\n");
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    /// Parses one message strictly (see the module docs).
    pub fn parse(data: &[u8]) -> Result<SipMessage, SipError> {
        if data.len() > MAX_MESSAGE_LEN {
            return Err(SipError::TooLong);
        }
        let end = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or(SipError::NoHeaderEnd)?;
        let head = &data[..end];
        let body = &data[end + 4..];
        let mut lines = Vec::new();
        let mut rest = head;
        loop {
            match rest.windows(2).position(|w| w == b"\r\n") {
                Some(p) => {
                    lines.push(&rest[..p]);
                    rest = &rest[p + 2..];
                }
                None => {
                    lines.push(rest);
                    break;
                }
            }
        }
        let first = text(lines[0])?;
        let start = parse_start(first)?;
        let mut headers: Vec<(&'static str, String)> = Vec::new();
        for l in &lines[1..] {
            let l = text(l)?;
            if l.starts_with([' ', '\t']) {
                return Err(SipError::BadHeader);
            }
            let (name, value) = l.split_once(':').ok_or(SipError::BadHeader)?;
            let name = canonical(name.trim_end_matches([' ', '\t']))?;
            if name == OTHER {
                continue;
            }
            let value = value.trim_matches([' ', '\t']);
            if headers.len() >= MAX_HEADERS {
                return Err(SipError::TooManyHeaders);
            }
            if name != "Via" && name != "Contact" && headers.iter().any(|(n, _)| *n == name) {
                return Err(SipError::DuplicateHeader(name));
            }
            headers.push((name, value.to_owned()));
        }
        let mut m = SipMessage {
            start,
            headers,
            body: body.to_vec(),
        };
        m.check()?;
        // Content-Length as the number it is (`00` and `0` are one length).
        let len = m.body.len().to_string();
        for (n, v) in &mut m.headers {
            if *n == "Content-Length" {
                *v = len.clone();
            }
        }
        Ok(m)
    }

    fn check(&self) -> Result<(), SipError> {
        for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
            if self.header(h).is_none_or(str::is_empty) {
                return Err(SipError::MissingHeader(h));
            }
        }
        let (_, cseq_method) = parse_cseq(self.header("CSeq").unwrap_or(""))?;
        if let StartLine::Request { method, .. } = &self.start {
            let mf = self
                .header("Max-Forwards")
                .ok_or(SipError::MissingHeader("Max-Forwards"))?;
            match mf.parse::<u8>() {
                Ok(_) if mf.bytes().all(|b| b.is_ascii_digit()) => {}
                _ => return Err(SipError::BadMaxForwards),
            }
            if *method != cseq_method {
                return Err(SipError::BadCSeq);
            }
        }
        let cl = self
            .header("Content-Length")
            .ok_or(SipError::MissingHeader("Content-Length"))?;
        if cl.is_empty() || cl.len() > 5 || !cl.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SipError::BadContentLength);
        }
        if cl.parse::<usize>().ok() != Some(self.body.len()) {
            return Err(SipError::BadContentLength);
        }
        if !self.body.is_empty() && self.header("Content-Type").is_none() {
            return Err(SipError::MissingContentType);
        }
        Ok(())
    }
}

fn parse_start(l: &str) -> Result<StartLine, SipError> {
    let mut parts = l.splitn(3, ' ');
    let a = parts.next().unwrap_or("");
    let b = parts.next().ok_or(SipError::BadStartLine)?;
    let c = parts.next().ok_or(SipError::BadStartLine)?;
    if a == "SIP/2.0" {
        if b.len() != 3 || !b.bytes().all(|x| x.is_ascii_digit()) {
            return Err(SipError::BadStartLine);
        }
        let code: u16 = b.parse().map_err(|_| SipError::BadStartLine)?;
        if !(100..=699).contains(&code) {
            return Err(SipError::BadStartLine);
        }
        if c.bytes().any(|x| x < 0x20 && x != b'\t') {
            return Err(SipError::BadStartLine);
        }
        return Ok(StartLine::Response {
            code,
            reason: c.to_owned(),
        });
    }
    let method = Method::parse(a)?;
    if c != "SIP/2.0" {
        return Err(SipError::BadVersion);
    }
    if b.is_empty() || !b.contains(':') || b.bytes().any(|x| x <= b' ' || x == 0x7f) {
        return Err(SipError::BadStartLine);
    }
    Ok(StartLine::Request {
        method,
        uri: b.to_owned(),
    })
}

fn parse_cseq(v: &str) -> Result<(u32, Method), SipError> {
    let (n, m) = v.split_once([' ', '\t']).ok_or(SipError::BadCSeq)?;
    if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SipError::BadCSeq);
    }
    let n: u32 = n.parse().map_err(|_| SipError::BadCSeq)?;
    let m = Method::parse(m.trim_start_matches([' ', '\t'])).map_err(|_| SipError::BadCSeq)?;
    Ok((n, m))
}

/// The `branch` parameter of the top Via.
pub fn via_branch(m: &SipMessage) -> Option<&str> {
    param(m.header("Via")?, "branch")
}

/// The `tag` parameter of a From or To value.
pub fn tag(value: &str) -> Option<&str> {
    param(value, "tag")
}

fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// A fresh token for tags, branches and Call-IDs (not secret; from the OS random source).
pub fn fresh_token() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 8];
    rand_core::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A Via value for a UDP hop at `addr` with a fresh RFC 3261 branch.
pub fn via(addr: std::net::SocketAddr) -> String {
    format!("SIP/2.0/UDP {addr};branch=z9hG4bK{}", fresh_token())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> SipMessage {
        SipMessage::request(Method::Invite, "sip:group@example.org")
            .with("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1")
            .with("Max-Forwards", "70")
            .with("From", "<sip:a@example.org>;tag=1")
            .with("To", "<sip:group@example.org>")
            .with("Call-ID", "abc")
            .with("CSeq", "1 INVITE")
            .with("Contact", "<sip:a@127.0.0.1:5060>")
            .with_body("application/sdp", b"v=0\r\n".to_vec())
    }

    #[test]
    fn round_trip() {
        let m = invite();
        let b = m.to_bytes();
        let p = SipMessage::parse(&b).unwrap();
        assert_eq!(p.start, m.start);
        assert_eq!(p.body, b"v=0\r\n");
        assert_eq!(p.header("Content-Length"), Some("5"));
        assert_eq!(p.cseq(), Some((1, Method::Invite)));
        assert_eq!(via_branch(&p), Some("z9hG4bK1"));
        assert_eq!(p.to_bytes(), b);
    }

    #[test]
    fn response_copies_dialog_headers() {
        let r = SipMessage::response_to(&invite(), 200, "OK", Some("xyz"));
        let p = SipMessage::parse(&r.to_bytes()).unwrap();
        assert_eq!(p.code(), Some(200));
        assert_eq!(p.method(), Some(Method::Invite));
        assert_eq!(tag(p.header("To").unwrap()), Some("xyz"));
        assert_eq!(tag(p.header("From").unwrap()), Some("1"));
        assert!(SipMessage::parse(b"SIP/2.0 99 X\r\nVia: a\r\nFrom: a\r\nTo: a\r\nCall-ID: a\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n").is_err());
    }

    #[test]
    fn compact_forms_and_unknown_headers() {
        let b = b"MESSAGE sip:m@x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKa\r\nMax-Forwards: 70\r\nf: <sip:a@x>;tag=2\r\nt: <sip:m@x>\r\ni: c1\r\nCSeq: 7 MESSAGE\r\nUser-Agent: x\r\nc: application/mikey\r\nl: 2\r\n\r\nab";
        let p = SipMessage::parse(b).unwrap();
        assert_eq!(p.call_id(), Some("c1"));
        assert_eq!(p.header("Content-Type"), Some("application/mikey"));
        assert_eq!(p.body, b"ab");
    }

    #[test]
    fn mutations_never_panic_and_what_parses_round_trips() {
        let seeds = [
            invite().to_bytes(),
            SipMessage::response_to(&invite(), 100, "Trying", None).to_bytes(),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut parsed = 0;
        for _ in 0..20_000 {
            let mut m = seeds[(next() % 2) as usize].clone();
            for _ in 0..(next() % 3 + 1) {
                let at = (next() as usize) % m.len();
                match next() % 3 {
                    0 => m[at] = next() as u8,
                    1 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, b" :;\r\n\t0aZ"[(next() % 9) as usize]),
                }
            }
            if let Ok(p) = SipMessage::parse(&m) {
                parsed += 1;
                assert_eq!(SipMessage::parse(&p.to_bytes()).as_ref(), Ok(&p), "{m:?}");
            }
        }
        assert!(parsed > 100, "{parsed}");
    }

    #[test]
    fn strict_refusals() {
        let good = invite().to_bytes();
        let s = String::from_utf8(good.clone()).unwrap();
        let cases: Vec<(String, SipError)> = vec![
            (s.replace("\r\n", "\n"), SipError::NoHeaderEnd),
            (
                s.replace("Content-Length: 5", "Content-Length: 6"),
                SipError::BadContentLength,
            ),
            (
                s.replace("Content-Length: 5", "Content-Length: x"),
                SipError::BadContentLength,
            ),
            (
                s.replace("Content-Length: 5\r\n", ""),
                SipError::MissingHeader("Content-Length"),
            ),
            (
                s.replace("CSeq: 1 INVITE", "CSeq: 1 BYE"),
                SipError::BadCSeq,
            ),
            (
                s.replace("CSeq: 1 INVITE", "CSeq: one INVITE"),
                SipError::BadCSeq,
            ),
            (
                s.replace("Call-ID: abc\r\n", ""),
                SipError::MissingHeader("Call-ID"),
            ),
            (
                s.replace("Max-Forwards: 70", "Max-Forwards: 300"),
                SipError::BadMaxForwards,
            ),
            (
                s.replace("SIP/2.0\r\n", "SIP/3.0\r\n"),
                SipError::BadVersion,
            ),
            (
                s.replace("INVITE sip", "OPTIONS sip"),
                SipError::UnsupportedMethod,
            ),
            (
                s.replace("Call-ID: abc", "Call-ID: abc\r\n folded"),
                SipError::BadHeader,
            ),
            (
                s.replace("Call-ID: abc", "Call-ID: abc\r\nCall-ID: def"),
                SipError::DuplicateHeader("Call-ID"),
            ),
            (
                s.replace("Call-ID: abc", "Call ID: abc"),
                SipError::BadHeader,
            ),
            (
                s.replace("Call-ID: abc", "Call-ID: a\rbc"),
                SipError::BadLineEnd,
            ),
            (
                s.replace("Content-Type: application/sdp\r\n", ""),
                SipError::MissingContentType,
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(SipMessage::parse(msg.as_bytes()), Err(want), "{msg:?}");
        }
        assert_eq!(
            SipMessage::parse(&vec![b'a'; MAX_MESSAGE_LEN + 1]),
            Err(SipError::TooLong)
        );
        // Every truncation is refused, none panics.
        for n in 0..good.len() {
            assert!(SipMessage::parse(&good[..n]).is_err(), "{n}");
        }
    }
}
