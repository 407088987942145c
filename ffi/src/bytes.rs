//! Fixed-size outputs: copy into a caller buffer given with its length.

use crate::error::prose_result;

/// Copies `src` to the front of `dst`; `PROSE_ERR_BUFFER_TOO_SMALL` if it does not fit.
pub(crate) fn put(dst: &mut [u8], src: &[u8]) -> Result<(), prose_result> {
    dst.get_mut(..src.len())
        .ok_or(prose_result::PROSE_ERR_BUFFER_TOO_SMALL)?
        .copy_from_slice(src);
    Ok(())
}
