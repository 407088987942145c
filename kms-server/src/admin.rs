//! Administration: registering identities, bulk pre-issuance of the next period for every
//! registered identity, and revocation.

use crate::error::StoreError;
use crate::server::App;
use crate::store::{Audit, Identity, Issuance, Served};

/// Identities derived per database transaction in a bulk run.
pub const BULK_CHUNK: usize = 64;

/// What a bulk run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// The period issued.
    pub period_no: u64,
    /// Registered identities.
    pub total: usize,
    /// Already recorded before this run (an earlier, possibly interrupted, run).
    pub already: usize,
    /// Revoked, so skipped.
    pub revoked: usize,
    /// Issued and recorded by this run.
    pub issued: usize,
}

/// Registers (or updates) an identity, audited.
pub async fn register(app: &App, id: &Identity, now: u64) -> Result<(), StoreError> {
    app.db.register(id, now).await?;
    app.db
        .audit(Audit {
            at: now,
            caller: "admin".into(),
            action: "register".into(),
            target: id.uri.clone(),
            outcome: "ok".into(),
        })
        .await
}

/// Revokes a key set of `uri` (one period, or every period with `None`): it is never served
/// again, and its cached copy is dropped.
pub async fn revoke(
    app: &App,
    uri: &str,
    period: Option<u64>,
    reason: &str,
    now: u64,
) -> Result<(), StoreError> {
    app.db
        .revoke(
            uri,
            period,
            reason,
            Audit {
                at: now,
                caller: "admin".into(),
                action: "revoke".into(),
                target: match period {
                    Some(p) => format!("{uri} period {p}"),
                    None => format!("{uri} all periods"),
                },
                outcome: "ok".into(),
            },
        )
        .await?;
    app.issuer.forget(uri.as_bytes(), period);
    Ok(())
}

/// Pre-issues the period after the one holding `now` for every registered identity not yet
/// recorded for it and not revoked, on every core, in chunks of [`BULK_CHUNK`] recorded one
/// transaction each. `progress(done, total)` is called after each chunk. A run that is
/// killed leaves whole chunks recorded; running again issues exactly the rest (the records
/// are keyed by identity and period, and the derivation is deterministic, so nothing is
/// duplicated or lost).
pub async fn pre_issue_next(
    app: &App,
    now: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<BulkReport, StoreError> {
    let periods = app.issuer.kms().periods();
    let next = periods
        .period_no(now)
        .map_err(|_| StoreError::Other("the clock is outside NTP era 1".into()))?
        + 1;
    let ids = app.db.identities().await?;
    let done: std::collections::HashSet<String> = app
        .db
        .issued(Some(next))
        .await?
        .into_iter()
        .map(|r| r.uri)
        .collect();
    let mut report = BulkReport {
        period_no: next,
        total: ids.len(),
        ..BulkReport::default()
    };
    let mut todo = Vec::new();
    for id in &ids {
        if done.contains(&id.uri) {
            report.already += 1;
            continue;
        }
        let (_, _, revoked) = app.db.lookup(&id.uri, next, next).await?;
        if revoked {
            report.revoked += 1;
            continue;
        }
        todo.push(id.uri.clone());
    }
    let mut count = report.already + report.revoked;
    progress(count, report.total);
    for chunk in todo.chunks(BULK_CHUNK) {
        let uris: Vec<&[u8]> = chunk.iter().map(|u| u.as_bytes()).collect();
        let sets = tokio::task::block_in_place(|| app.issuer.key_sets_many(&uris, next));
        let mut issued = Vec::with_capacity(chunk.len());
        for (uri, ks) in chunk.iter().zip(sets) {
            match ks {
                Ok(ks) => issued.push(Issuance {
                    uri: uri.clone(),
                    period_no: next,
                    pvt: hex::encode(ks.pvt),
                }),
                Err(_) => {
                    return Err(StoreError::Other(format!(
                        "no key set can be made for {uri}"
                    )))
                }
            }
        }
        let n = issued.len();
        app.db
            .served(Served {
                issued,
                audit: Audit {
                    at: now,
                    caller: "admin".into(),
                    action: "pre-issue".into(),
                    target: format!("period {next}: {n} identities"),
                    outcome: "ok".into(),
                },
                origin: "bulk",
            })
            .await?;
        report.issued += n;
        count += n;
        progress(count, report.total);
    }
    Ok(report)
}
