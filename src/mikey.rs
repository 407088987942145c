//! MIKEY (RFC 3830, RFC 6043, RFC 6509) codec and the key-distribution messages.
