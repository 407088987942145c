//! libsrtp 2.x ABI on the prose-sec SRTP engine: the only place that exports `srtp_*` symbols.
