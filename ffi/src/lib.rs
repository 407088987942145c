//! C ABI of prose-sec: opaque types and `prose_<type>_<verb>` functions (see `include/prose_sec.h`).
//! Conversion only; all logic lives in the core crate.
