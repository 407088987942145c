//! Refusals: every request the KMS does not serve ends in one of these, answered as a
//! `KmsError` with the HTTP status as its ErrorCode.

/// Why a request was refused. Each maps to one HTTP status and one `KmsError` ErrorCode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the path, a header or the KmsRequest body is malformed or does not match.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// 401: no credentials, or credentials that do not verify.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// 403: the caller may not have what it asked for.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 404: no such resource (route, certificate, registered identity).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 405: a method other than POST.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: a KmsRequest whose Time this caller already used (a replay).
    #[error("replayed request")]
    Replayed,
    /// 410: the key set asked for is revoked and is never served again.
    #[error("revoked")]
    Revoked,
    /// 413: a request body over the limit.
    #[error("request body too large")]
    TooLarge,
    /// 503: the store is unavailable; retry later.
    #[error("store unavailable")]
    Unavailable,
    /// 507: the store is full; nothing was written.
    #[error("store full")]
    StoreFull,
    /// 500: an internal failure (never caused by input alone).
    #[error("internal error")]
    Internal,
}

impl Refusal {
    /// The HTTP status (also the `KmsError` ErrorCode).
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Unauthenticated(_) => 401,
            Refusal::Forbidden(_) => 403,
            Refusal::NotFound(_) => 404,
            Refusal::MethodNotAllowed => 405,
            Refusal::Replayed => 409,
            Refusal::Revoked => 410,
            Refusal::TooLarge => 413,
            Refusal::Unavailable => 503,
            Refusal::StoreFull => 507,
            Refusal::Internal => 500,
        }
    }
}

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is locked: the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database (or its disk) is full: nothing was written.
    #[error("database full: {0}")]
    Full(String),
    /// A stored record contradicts what the master secrets derive (a different KMS's
    /// database, or tampering).
    #[error("stored record inconsistent: {0}")]
    Inconsistent(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Refusal::Unavailable,
            StoreError::Full(_) => Refusal::StoreFull,
            _ => Refusal::Internal,
        }
    }
}
