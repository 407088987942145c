//! The panic boundary: every exported function runs its body inside `guard`, so a panic in the
//! library becomes `PROSE_ERR_PANIC` instead of unwinding into C (undefined behaviour).

use crate::error::prose_result;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, mapping `Err(e)` to its code and a panic to `PROSE_ERR_PANIC`.
pub(crate) fn guard<F>(f: F) -> prose_result
where
    F: FnOnce() -> Result<(), prose_result>,
{
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => prose_result::PROSE_OK,
        Ok(Err(code)) => code,
        Err(_) => prose_result::PROSE_ERR_PANIC,
    }
}

/// For functions with no result code (`_free`, getters): a panic is swallowed and `fallback`
/// returned.
pub(crate) fn guard_or<T, F: FnOnce() -> T>(fallback: T, f: F) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}
