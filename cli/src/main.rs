//! `prose-sec`: command-line tool (demo, mikey decode, kms, bench).

fn main() {
    eprintln!(
        "prose-sec {}: no subcommands yet",
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(2);
}
