//! `prose-sec`: command-line tool. For now: `prose-sec mikey decode [FILE]` prints a MIKEY
//! message (raw octets, hex, base64, or an SDP body with `a=key-mgmt:mikey`) as text.

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str =
    "usage: prose-sec mikey decode [FILE]   (FILE or stdin: raw, hex, base64 or SDP)";

fn input(path: Option<&str>) -> std::io::Result<Vec<u8>> {
    match path {
        None | Some("-") => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v)?;
            Ok(v)
        }
        Some(p) => std::fs::read(p),
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The MIKEY octets in `data`, whichever of the accepted forms it is in.
fn message(data: &[u8]) -> prose_sec::Result<Vec<u8>> {
    if let Ok(text) = core::str::from_utf8(data) {
        if text.contains("a=key-mgmt:") {
            return prose_sec::sdp::parse_key_mgmt(text, true);
        }
        if let Some(v) = hex(text) {
            return Ok(v);
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(v) = prose_sec::sdp::base64_decode(&compact) {
            return Ok(v);
        }
    }
    Ok(data.to_vec())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["mikey", "decode", rest @ ..] if rest.len() <= 1 => {
            let data = match input(rest.first().copied()) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("prose-sec: {e}");
                    return ExitCode::from(2);
                }
            };
            match message(&data).and_then(|m| prose_sec::mikey::describe(&m)) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("prose-sec: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ["--version"] => {
            println!("prose-sec {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
