//! See the declaration in `backend/x86_64.rs`.
