//! TS 33.180 Annex D provisioning documents (being written).
