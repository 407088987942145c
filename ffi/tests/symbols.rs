//! Our library shares processes with libsrtp and others: every symbol it exports to C must start
//! with `prose_`. Checks the dynamic symbol table of the cdylib, and the global unmangled
//! symbols our own objects define in the staticlib.
use std::path::PathBuf;
use std::process::Command;

fn lib_dir() -> PathBuf {
    // target/<profile>/deps/symbols-<hash> -> target/<profile>
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(|d| d.parent())
        .expect("profile dir")
        .to_path_buf()
}

fn defined_globals(args: &[&str], lib: &PathBuf) -> Vec<String> {
    let out = Command::new("nm")
        .args(args)
        .arg(lib)
        .output()
        .expect("nm (binutils) is needed for this test");
    assert!(out.status.success(), "nm failed on {}", lib.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().rev();
            let name = f.next()?;
            let kind = f.next()?;
            // Global defined code/data symbols.
            matches!(kind, "T" | "D" | "B" | "R").then(|| name.to_string())
        })
        .collect()
}

#[test]
fn cdylib_exports_only_prose_symbols() {
    let lib = lib_dir().join("libprose_sec.so");
    assert!(lib.exists(), "{} not built", lib.display());
    let syms = defined_globals(&["-D", "--defined-only"], &lib);
    assert!(syms.iter().any(|s| s == "prose_result_str"));
    let foreign: Vec<_> = syms.iter().filter(|s| !s.starts_with("prose_")).collect();
    assert!(foreign.is_empty(), "non-prose_ exports: {foreign:?}");
}

#[test]
fn staticlib_defines_no_foreign_unmangled_symbols() {
    let lib = lib_dir().join("libprose_sec.a");
    assert!(lib.exists(), "{} not built", lib.display());
    let syms = defined_globals(&["-g", "--defined-only"], &lib);
    assert!(syms.iter().any(|s| s == "prose_result_str"));
    // Rust-mangled names (legacy _ZN…, v0 _R…) cannot clash with C names, and the compiler
    // runtime's `__`-prefixed helpers are in the namespace C reserves for the implementation.
    let runtime = |s: &str| s.starts_with("_ZN") || s.starts_with("_R") || s.starts_with("__");
    let foreign: Vec<_> = syms
        .iter()
        .filter(|s| !s.starts_with("prose_") && !runtime(s))
        .collect();
    assert!(
        foreign.is_empty(),
        "unexpected C-visible symbols: {foreign:?}"
    );
}
