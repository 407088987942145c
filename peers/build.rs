//! Binds the system libsrtp2 and wolfSSL (found with pkg-config). Nothing of theirs is vendored.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    let srtp = pkg_config::Config::new()
        .probe("libsrtp2")
        .expect("libsrtp2 not found: apt-get install libsrtp2-dev (see README)");
    let wolf = pkg_config::Config::new()
        .probe("wolfssl")
        .expect("wolfssl not found: apt-get install libwolfssl-dev (see README)");
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
    for p in srtp.include_paths.iter().chain(wolf.include_paths.iter()) {
        builder = builder.clang_arg(format!("-I{}", p.display()));
    }
    let bindings = builder.generate().expect("bindgen failed");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings");
}
