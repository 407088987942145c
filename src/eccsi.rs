//! ECCSI signatures (RFC 6507) on P-256.
