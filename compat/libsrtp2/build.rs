//! Gives the shared library libsrtp 2's SONAME, so programs linked against libsrtp2.so.1 load it.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsrtp2.so.1");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
