//! Binds libsrtp 2.x and wolfSSL (the system ones, found with pkg-config). Nothing of theirs is
//! vendored.
//!
//! With `PROSE_WOLFSSL_SP_DIR` set to the install prefix of `scripts/build-wolfssl-sp.sh`
//! (wolfSSL with SAKKE, ECCSI and its SP 1024-bit assembly, a static library), that wolfSSL is
//! bound and linked instead of Debian's.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-env-changed=PROSE_WOLFSSL_SP_DIR");
    // Debian's libsrtp2 is opened at run time (see src/libsrtp.rs), never linked: another
    // libsrtp (srtp2-sys's, feature `fastest`) may be linked into the same binary.
    let srtp = pkg_config::Config::new()
        .cargo_metadata(false)
        .probe("libsrtp2")
        .expect("libsrtp2 not found: apt-get install libsrtp2-dev (see README)");
    let so = srtp
        .link_paths
        .iter()
        .map(|d| d.join("libsrtp2.so.1"))
        .find(|p| p.exists())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "libsrtp2.so.1".to_string());
    println!("cargo:rustc-env=PROSE_LIBSRTP2_SO={so}");
    let mut include_paths = srtp.include_paths.clone();
    match env::var_os("PROSE_WOLFSSL_SP_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let lib = dir.join("lib");
            assert!(
                lib.join("libwolfssl.a").exists(),
                "PROSE_WOLFSSL_SP_DIR={}: no lib/libwolfssl.a (run scripts/build-wolfssl-sp.sh)",
                dir.display()
            );
            println!(
                "cargo:rerun-if-changed={}",
                lib.join("libwolfssl.a").display()
            );
            println!("cargo:rustc-link-search=native={}", lib.display());
            println!("cargo:rustc-link-lib=static=wolfssl");
            println!("cargo:rustc-link-lib=m");
            println!("cargo:rustc-env=PROSE_WOLFSSL_BUILD=sp");
            // Its headers first, so that its options.h (and struct layouts) are the ones bound.
            include_paths.insert(0, dir.join("include"));
        }
        None => {
            let wolf = pkg_config::Config::new()
                .probe("wolfssl")
                .expect("wolfssl not found: apt-get install libwolfssl-dev (see README)");
            include_paths.extend(wolf.include_paths);
            println!("cargo:rustc-env=PROSE_WOLFSSL_BUILD=debian");
        }
    }
    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .allowlist_function("srtp_.*")
        .allowlist_type("srtp_.*")
        .allowlist_var("SRTP_.*")
        .allowlist_function("wc_.*Sakke.*")
        .allowlist_function("wc_.*Eccsi.*")
        .allowlist_function("wc_InitRng")
        .allowlist_function("wc_FreeRng")
        .allowlist_function("wc_ecc_.*")
        .allowlist_type("SakkeKey")
        .allowlist_type("EccsiKey")
        .allowlist_type("WC_RNG")
        .allowlist_var("WC_SHA256.*")
        .allowlist_var("ECC_.*")
        .allowlist_var("MP_.*")
        .derive_default(true)
        .layout_tests(false)
        .generate_comments(false);
    for p in &include_paths {
        builder = builder.clang_arg(format!("-I{}", p.display()));
    }
    let bindings = builder.generate().expect("bindgen failed");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings");
}
