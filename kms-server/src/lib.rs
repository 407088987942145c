//! The KMS as a service (TS 33.180 Annex D over HTTPS) and the member's provisioning client.
