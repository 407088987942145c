//! SAKKE (RFC 6508) with parameter set 1 of RFC 6509.
