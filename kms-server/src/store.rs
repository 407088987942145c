//! The KMS database: users and groups with their authorisation, issuance records per
//! period, revocations, request times seen (replay refusal) and the audit log. **No key
//! material**: an issuance record holds the public PVT only (see [`crate::keys`]); the
//! master secrets live in their own `0600` file.
//!
//! Two backends with one schema and one set of statements: SQLite (default, one embedded
//! file in WAL mode) and PostgreSQL (several stateless KMS processes sharing one database).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::StoreError;

/// The kind of a registered identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A user (a member): it fetches its own key sets.
    User,
    /// A group: its key sets go to the Group Manager that manages it.
    Group,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
        }
    }
    fn parse(s: &str) -> Result<Kind, StoreError> {
        match s {
            "user" => Ok(Kind::User),
            "group" => Ok(Kind::Group),
            _ => Err(StoreError::Inconsistent(format!("unknown kind {s}"))),
        }
    }
}

/// A registered identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Its URI.
    pub uri: String,
    /// User or group.
    pub kind: Kind,
    /// For a group: the identity of the Group Manager that may fetch its key sets.
    pub manager: Option<String>,
}

/// One issuance record: identity, period and the public PVT issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuance {
    /// The identity.
    pub uri: String,
    /// KeyPeriodNo.
    pub period_no: u64,
    /// The PVT (hex).
    pub pvt: String,
}

/// An audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// When (NTP seconds).
    pub at: u64,
    /// Who asked (`-` when unauthenticated).
    pub caller: String,
    /// What (route or administrative action).
    pub action: String,
    /// For whom.
    pub target: String,
    /// The outcome: `ok` or the refusal's status.
    pub outcome: String,
}

/// Every period of an identity (a revocation of all its key sets).
pub const ALL_PERIODS: i64 = -1;

const SCHEMA: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS identities (uri TEXT PRIMARY KEY, kind TEXT NOT NULL, \
     manager TEXT, created_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS issuance (uri TEXT NOT NULL, period_no BIGINT NOT NULL, \
     pvt TEXT NOT NULL, issued_at BIGINT NOT NULL, origin TEXT NOT NULL, \
     PRIMARY KEY (uri, period_no))",
    "CREATE TABLE IF NOT EXISTS revocations (uri TEXT NOT NULL, period_no BIGINT NOT NULL, \
     revoked_at BIGINT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (uri, period_no))",
    "CREATE TABLE IF NOT EXISTS request_times (caller TEXT NOT NULL, time BIGINT NOT NULL, \
     path TEXT NOT NULL, seen_at BIGINT NOT NULL, PRIMARY KEY (caller, time, path))",
    "CREATE TABLE IF NOT EXISTS audit (id {AUTO}, at BIGINT NOT NULL, caller TEXT NOT NULL, \
     action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL)",
];

const Q_META_GET: &str = "SELECT value FROM meta WHERE key = $1";
const Q_META_PUT: &str =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
const Q_REGISTER: &str =
    "INSERT INTO identities (uri, kind, manager, created_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (uri) DO UPDATE SET kind = excluded.kind, manager = excluded.manager";
const Q_IDENTITY: &str = "SELECT kind, manager FROM identities WHERE uri = $1";
const Q_IDENTITIES: &str = "SELECT uri, kind, manager FROM identities ORDER BY uri";
const Q_REVOKED: &str =
    "SELECT period_no FROM revocations WHERE uri = $1 AND (period_no = $2 OR period_no = $3 OR period_no = -1)";
const Q_REVOKE: &str =
    "INSERT INTO revocations (uri, period_no, revoked_at, reason) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (uri, period_no) DO NOTHING";
const Q_ISSUE: &str =
    "INSERT INTO issuance (uri, period_no, pvt, issued_at, origin) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (uri, period_no) DO NOTHING";
const Q_ISSUED_PVT: &str = "SELECT pvt FROM issuance WHERE uri = $1 AND period_no = $2";
const Q_ISSUED_IN: &str =
    "SELECT uri, period_no, pvt FROM issuance WHERE period_no = $1 ORDER BY uri";
const Q_ISSUED_ALL: &str = "SELECT uri, period_no, pvt FROM issuance ORDER BY uri, period_no";
const Q_AUDIT: &str =
    "INSERT INTO audit (at, caller, action, target, outcome) VALUES ($1, $2, $3, $4, $5)";
const Q_AUDIT_ALL: &str = "SELECT at, caller, action, target, outcome FROM audit ORDER BY id";
const Q_TIMES_PURGE: &str = "DELETE FROM request_times WHERE seen_at < $1";
const Q_TIMES_PUT: &str =
    "INSERT INTO request_times (caller, time, path, seen_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (caller, time, path) DO NOTHING";

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Options of the SQLite backend.
#[derive(Clone, Debug, Default)]
pub struct SqliteOptions {
    /// How long a statement waits for a lock before the store counts as unavailable.
    pub busy_timeout: Option<Duration>,
    /// `PRAGMA max_page_count`: a size bound on the file (a full disk, in tests).
    pub max_pages: Option<u64>,
}

/// The database.
#[derive(Clone)]
pub enum Db {
    /// SQLite, one file.
    Sqlite(Arc<Sqlite>),
    /// PostgreSQL.
    Postgres(Arc<Postgres>),
}

impl core::fmt::Debug for Db {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Db::Sqlite(_) => f.write_str("Db::Sqlite"),
            Db::Postgres(_) => f.write_str("Db::Postgres"),
        }
    }
}

/// The records of one served request, written in one transaction.
#[derive(Clone, Debug)]
pub struct Served {
    /// Issuance records (only the first for an identity and period is kept).
    pub issued: Vec<Issuance>,
    /// The audit entry.
    pub audit: Audit,
    /// Where the records came from (`request` or `bulk`).
    pub origin: &'static str,
}

impl Db {
    /// Opens `url`: `sqlite:PATH` (or a plain path) or `postgres://…` / `postgresql://…`,
    /// creating the schema.
    pub async fn open(url: &str, sqlite: SqliteOptions) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pg = Postgres::open(url, 8).await?;
            Ok(Db::Postgres(Arc::new(pg)))
        } else {
            let path = url.strip_prefix("sqlite:").unwrap_or(url).to_owned();
            let db = tokio::task::spawn_blocking(move || Sqlite::open(&path, sqlite))
                .await
                .map_err(|e| StoreError::Other(e.to_string()))??;
            Ok(Db::Sqlite(Arc::new(db)))
        }
    }

    async fn blocking<T: Send + 'static>(
        s: &Arc<Sqlite>,
        f: impl FnOnce(&Sqlite) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let s = s.clone();
        tokio::task::spawn_blocking(move || f(&s))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
    }

    /// The value of `key` in the meta table, set to `value` if absent.
    pub async fn meta_bind(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let (k, v) = (key.to_owned(), value.to_owned());
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.meta_bind(&k, &v)).await,
            Db::Postgres(p) => p.meta_bind(&k, &v).await,
        }
    }

    /// Registers (or updates) an identity.
    pub async fn register(&self, id: &Identity, at: u64) -> Result<(), StoreError> {
        let id = id.clone();
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.register(&id, at)).await,
            Db::Postgres(p) => p.register(&id, at).await,
        }
    }

    /// A registered identity with the revocation state of periods `a` and `b`
    /// (`(identity, revoked a, revoked b)`; a revocation of all periods counts for both).
    pub async fn lookup(
        &self,
        uri: &str,
        a: u64,
        b: u64,
    ) -> Result<(Option<Identity>, bool, bool), StoreError> {
        let u = uri.to_owned();
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.lookup(&u, a, b)).await,
            Db::Postgres(p) => p.lookup(&u, a, b).await,
        }
    }

    /// Every registered identity.
    pub async fn identities(&self) -> Result<Vec<Identity>, StoreError> {
        match self {
            Db::Sqlite(s) => Self::blocking(s, |s| s.identities()).await,
            Db::Postgres(p) => p.identities().await,
        }
    }

    /// Revokes one period of `uri` or, with `None`, all of them.
    pub async fn revoke(
        &self,
        uri: &str,
        period: Option<u64>,
        reason: &str,
        audit: Audit,
    ) -> Result<(), StoreError> {
        let (u, r) = (uri.to_owned(), reason.to_owned());
        let p = period.map_or(ALL_PERIODS, i);
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.revoke(&u, p, &r, &audit)).await,
            Db::Postgres(p2) => p2.revoke(&u, p, &r, &audit).await,
        }
    }

    /// Writes the records of a served request (or a bulk chunk) in one transaction. An
    /// identity and period already recorded keeps its record; a differing PVT is
    /// [`StoreError::Inconsistent`] and nothing is written.
    pub async fn served(&self, s: Served) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(db) => Self::blocking(db, move |db| db.served(&s)).await,
            Db::Postgres(p) => p.served(&s).await,
        }
    }

    /// Issuance records of one period, or of all.
    pub async fn issued(&self, period: Option<u64>) -> Result<Vec<Issuance>, StoreError> {
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.issued(period)).await,
            Db::Postgres(p) => p.issued(period).await,
        }
    }

    /// Writes an audit entry on its own.
    pub async fn audit(&self, a: Audit) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(s) => Self::blocking(s, move |s| s.audit(&a)).await,
            Db::Postgres(p) => p.audit(&a).await,
        }
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<Audit>, StoreError> {
        match self {
            Db::Sqlite(s) => Self::blocking(s, |s| s.audit_log()).await,
            Db::Postgres(p) => p.audit_log().await,
        }
    }

    /// The database's own consistency check: SQLite's `PRAGMA integrity_check` (`ok` when
    /// sound); for PostgreSQL, whose server guarantees this, a round trip.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        match self {
            Db::Sqlite(s) => {
                Self::blocking(s, |s| {
                    let c = lock(&s.reader)?;
                    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
                        .map_err(sq)
                })
                .await
            }
            Db::Postgres(p) => {
                p.with(async |c| c.query_one("SELECT 'ok'::TEXT", &[]).await?.try_get(0))
                    .await
            }
        }
    }

    /// Records that `caller` sent a KmsRequest with `time` for `path`; `false` when it had
    /// already (a replay). Entries older than `forget_before` are dropped first.
    pub async fn request_time(
        &self,
        caller: &str,
        time: u64,
        path: &str,
        now: u64,
        forget_before: u64,
    ) -> Result<bool, StoreError> {
        let (c, p) = (caller.to_owned(), path.to_owned());
        match self {
            Db::Sqlite(s) => {
                Self::blocking(s, move |s| s.request_time(&c, time, &p, now, forget_before)).await
            }
            Db::Postgres(pg) => pg.request_time(&c, time, &p, now, forget_before).await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// The SQLite backend: one writer connection and one reader (WAL lets them run at once).
pub struct Sqlite {
    writer: Mutex<rusqlite::Connection>,
    reader: Mutex<rusqlite::Connection>,
}

fn sq(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked | C::CannotOpen | C::SystemIoFailure => {
                StoreError::Unavailable(e.to_string())
            }
            C::DiskFull => StoreError::Full(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        },
        _ => StoreError::Other(e.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, StoreError> {
    m.lock()
        .map_err(|_| StoreError::Other("connection lock poisoned".into()))
}

impl Sqlite {
    fn connect(path: &str, o: &SqliteOptions) -> Result<rusqlite::Connection, StoreError> {
        let c = rusqlite::Connection::open(path).map_err(sq)?;
        c.busy_timeout(o.busy_timeout.unwrap_or(Duration::from_secs(2)))
            .map_err(sq)?;
        c.pragma_update(None, "journal_mode", "WAL").map_err(sq)?;
        // WAL with synchronous=NORMAL: a commit is durable once the WAL is synced at the next
        // checkpoint; a crash of the process (kill -9) loses nothing committed, a power cut
        // may lose the last transactions but never corrupts the file.
        c.pragma_update(None, "synchronous", "NORMAL").map_err(sq)?;
        c.pragma_update(None, "foreign_keys", "ON").map_err(sq)?;
        if let Some(n) = o.max_pages {
            c.pragma_update(None, "max_page_count", n).map_err(sq)?;
        }
        Ok(c)
    }

    fn open(path: &str, o: SqliteOptions) -> Result<Sqlite, StoreError> {
        let writer = Self::connect(path, &o)?;
        for s in SCHEMA {
            writer
                .execute(
                    &s.replace("{AUTO}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
                    [],
                )
                .map_err(sq)?;
        }
        let reader = Self::connect(path, &o)?;
        Ok(Sqlite {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    fn meta_bind(&self, k: &str, v: &str) -> Result<String, StoreError> {
        let c = lock(&self.writer)?;
        c.execute(Q_META_PUT, rusqlite::params![k, v]).map_err(sq)?;
        c.query_row(Q_META_GET, [k], |r| r.get(0)).map_err(sq)
    }

    fn register(&self, id: &Identity, at: u64) -> Result<(), StoreError> {
        let c = lock(&self.writer)?;
        c.prepare_cached(Q_REGISTER)
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    id.uri,
                    id.kind.as_str(),
                    id.manager,
                    i(at)
                ])
            })
            .map_err(sq)?;
        Ok(())
    }

    fn lookup(
        &self,
        uri: &str,
        a: u64,
        b: u64,
    ) -> Result<(Option<Identity>, bool, bool), StoreError> {
        let c = lock(&self.reader)?;
        let row: Option<(String, Option<String>)> = {
            let mut s = c.prepare_cached(Q_IDENTITY).map_err(sq)?;
            let mut rows = s.query([uri]).map_err(sq)?;
            match rows.next().map_err(sq)? {
                Some(r) => Some((r.get(0).map_err(sq)?, r.get(1).map_err(sq)?)),
                None => None,
            }
        };
        let Some((kind, manager)) = row else {
            return Ok((None, false, false));
        };
        let id = Identity {
            uri: uri.to_owned(),
            kind: Kind::parse(&kind)?,
            manager,
        };
        let mut s = c.prepare_cached(Q_REVOKED).map_err(sq)?;
        let periods: Vec<i64> = s
            .query_map(rusqlite::params![uri, i(a), i(b)], |r| r.get(0))
            .map_err(sq)?
            .collect::<Result<_, _>>()
            .map_err(sq)?;
        let all = periods.contains(&ALL_PERIODS);
        Ok((
            Some(id),
            all || periods.contains(&i(a)),
            all || periods.contains(&i(b)),
        ))
    }

    fn identities(&self) -> Result<Vec<Identity>, StoreError> {
        let c = lock(&self.reader)?;
        let mut s = c.prepare_cached(Q_IDENTITIES).map_err(sq)?;
        let rows: Vec<(String, String, Option<String>)> = s
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sq)?
            .collect::<Result<_, _>>()
            .map_err(sq)?;
        rows.into_iter()
            .map(|(uri, kind, manager)| {
                Ok(Identity {
                    uri,
                    kind: Kind::parse(&kind)?,
                    manager,
                })
            })
            .collect()
    }

    fn revoke(&self, uri: &str, p: i64, reason: &str, a: &Audit) -> Result<(), StoreError> {
        let mut c = lock(&self.writer)?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sq)?;
        tx.execute(Q_REVOKE, rusqlite::params![uri, p, i(a.at), reason])
            .map_err(sq)?;
        Self::audit_in(&tx, a)?;
        tx.commit().map_err(sq)
    }

    fn audit_in(c: &rusqlite::Connection, a: &Audit) -> Result<(), StoreError> {
        c.prepare_cached(Q_AUDIT)
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    i(a.at),
                    a.caller,
                    a.action,
                    a.target,
                    a.outcome
                ])
            })
            .map_err(sq)?;
        Ok(())
    }

    fn served(&self, s: &Served) -> Result<(), StoreError> {
        let mut c = lock(&self.writer)?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sq)?;
        {
            let mut ins = tx.prepare_cached(Q_ISSUE).map_err(sq)?;
            let mut get = tx.prepare_cached(Q_ISSUED_PVT).map_err(sq)?;
            for r in &s.issued {
                let n = ins
                    .execute(rusqlite::params![
                        r.uri,
                        i(r.period_no),
                        r.pvt,
                        i(s.audit.at),
                        s.origin
                    ])
                    .map_err(sq)?;
                if n == 0 {
                    let pvt: String = get
                        .query_row(rusqlite::params![r.uri, i(r.period_no)], |row| row.get(0))
                        .map_err(sq)?;
                    if pvt != r.pvt {
                        return Err(StoreError::Inconsistent(format!(
                            "{} period {}: the recorded PVT is not the one derived",
                            r.uri, r.period_no
                        )));
                    }
                }
            }
        }
        Self::audit_in(&tx, &s.audit)?;
        tx.commit().map_err(sq)
    }

    fn issued(&self, period: Option<u64>) -> Result<Vec<Issuance>, StoreError> {
        let c = lock(&self.reader)?;
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Issuance> {
            Ok(Issuance {
                uri: r.get(0)?,
                period_no: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                pvt: r.get(2)?,
            })
        };
        let out = match period {
            Some(p) => {
                let mut s = c.prepare_cached(Q_ISSUED_IN).map_err(sq)?;
                let v = s
                    .query_map([i(p)], map)
                    .map_err(sq)?
                    .collect::<Result<_, _>>();
                v
            }
            None => {
                let mut s = c.prepare_cached(Q_ISSUED_ALL).map_err(sq)?;
                let v = s.query_map([], map).map_err(sq)?.collect::<Result<_, _>>();
                v
            }
        };
        out.map_err(sq)
    }

    fn audit(&self, a: &Audit) -> Result<(), StoreError> {
        let c = lock(&self.writer)?;
        Self::audit_in(&c, a)
    }

    fn audit_log(&self) -> Result<Vec<Audit>, StoreError> {
        let c = lock(&self.reader)?;
        let mut s = c.prepare_cached(Q_AUDIT_ALL).map_err(sq)?;
        let v = s
            .query_map([], |r| {
                Ok(Audit {
                    at: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    caller: r.get(1)?,
                    action: r.get(2)?,
                    target: r.get(3)?,
                    outcome: r.get(4)?,
                })
            })
            .map_err(sq)?
            .collect::<Result<_, _>>()
            .map_err(sq);
        v
    }

    fn request_time(
        &self,
        caller: &str,
        time: u64,
        path: &str,
        now: u64,
        forget_before: u64,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.writer)?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sq)?;
        tx.prepare_cached(Q_TIMES_PURGE)
            .and_then(|mut s| s.execute([i(forget_before)]))
            .map_err(sq)?;
        let n = tx
            .prepare_cached(Q_TIMES_PUT)
            .and_then(|mut s| s.execute(rusqlite::params![caller, i(time), path, i(now)]))
            .map_err(sq)?;
        tx.commit().map_err(sq)?;
        Ok(n == 1)
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// The PostgreSQL backend: a few connections, each reconnected when it breaks.
pub struct Postgres {
    config: tokio_postgres::Config,
    conns: Vec<tokio::sync::Mutex<Option<tokio_postgres::Client>>>,
    next: AtomicUsize,
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code == "53100" {
            return StoreError::Full(e.to_string());
        }
        if code.starts_with("08") || code.starts_with("57P") || code == "53300" {
            return StoreError::Unavailable(e.to_string());
        }
        return StoreError::Other(e.to_string());
    }
    // No server answer at all: the connection is gone or could not be made.
    StoreError::Unavailable(e.to_string())
}

type Guard<'a> = tokio::sync::MutexGuard<'a, Option<tokio_postgres::Client>>;

impl Postgres {
    async fn open(url: &str, n: usize) -> Result<Postgres, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Other(e.to_string()))?;
        config.connect_timeout(Duration::from_secs(3));
        let p = Postgres {
            config,
            conns: (0..n.max(1))
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            next: AtomicUsize::new(0),
        };
        let mut g = p.conn().await?;
        let c = g
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
        for s in SCHEMA {
            // Concurrent processes may race on CREATE TABLE IF NOT EXISTS; the loser's
            // unique violation is harmless.
            if let Err(e) = c
                .batch_execute(&s.replace("{AUTO}", "BIGSERIAL PRIMARY KEY"))
                .await
            {
                if e.as_db_error().map(|d| d.code().code()) != Some("23505") {
                    return Err(pg(e));
                }
            }
        }
        drop(g);
        Ok(p)
    }

    async fn conn(&self) -> Result<Guard<'_>, StoreError> {
        let k = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let mut g = self.conns[k].lock().await;
        if g.as_ref().is_none_or(|c| c.is_closed()) {
            *g = None;
            let (client, conn) = self
                .config
                .connect(tokio_postgres::NoTls)
                .await
                // Whatever the server says (refused, shutting down, not accepting
                // connections to this database), no connection means unavailable.
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            *g = Some(client);
        }
        Ok(g)
    }

    /// Runs `f` on a connection; a connection that failed is dropped (the next call makes a
    /// new one).
    async fn with<T>(
        &self,
        f: impl AsyncFnOnce(&mut tokio_postgres::Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut g = self.conn().await?;
        let c = g
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
        match f(c).await {
            Ok(v) => Ok(v),
            Err(e) => {
                let e = if c.is_closed() {
                    StoreError::Unavailable(e.to_string())
                } else {
                    pg(e)
                };
                if matches!(e, StoreError::Unavailable(_)) {
                    *g = None;
                }
                Err(e)
            }
        }
    }

    async fn meta_bind(&self, k: &str, v: &str) -> Result<String, StoreError> {
        self.with(async |c| {
            c.execute(Q_META_PUT, &[&k, &v]).await?;
            let r = c.query_one(Q_META_GET, &[&k]).await?;
            r.try_get(0)
        })
        .await
    }

    async fn register(&self, id: &Identity, at: u64) -> Result<(), StoreError> {
        let at = i(at);
        self.with(async |c| {
            c.execute(Q_REGISTER, &[&id.uri, &id.kind.as_str(), &id.manager, &at])
                .await
                .map(|_| ())
        })
        .await
    }

    async fn lookup(
        &self,
        uri: &str,
        a: u64,
        b: u64,
    ) -> Result<(Option<Identity>, bool, bool), StoreError> {
        let (ia, ib) = (i(a), i(b));
        let (row, periods) = self
            .with(async |c| {
                let row = c.query_opt(Q_IDENTITY, &[&uri]).await?;
                let row = match row {
                    Some(r) => Some((
                        r.try_get::<_, String>(0)?,
                        r.try_get::<_, Option<String>>(1)?,
                    )),
                    None => None,
                };
                let mut periods = Vec::new();
                if row.is_some() {
                    for r in c.query(Q_REVOKED, &[&uri, &ia, &ib]).await? {
                        periods.push(r.try_get::<_, i64>(0)?);
                    }
                }
                Ok((row, periods))
            })
            .await?;
        let Some((kind, manager)) = row else {
            return Ok((None, false, false));
        };
        let all = periods.contains(&ALL_PERIODS);
        Ok((
            Some(Identity {
                uri: uri.to_owned(),
                kind: Kind::parse(&kind)?,
                manager,
            }),
            all || periods.contains(&ia),
            all || periods.contains(&ib),
        ))
    }

    async fn identities(&self) -> Result<Vec<Identity>, StoreError> {
        let rows = self
            .with(async |c| {
                let mut v = Vec::new();
                for r in c.query(Q_IDENTITIES, &[]).await? {
                    v.push((
                        r.try_get::<_, String>(0)?,
                        r.try_get::<_, String>(1)?,
                        r.try_get::<_, Option<String>>(2)?,
                    ));
                }
                Ok(v)
            })
            .await?;
        rows.into_iter()
            .map(|(uri, kind, manager)| {
                Ok(Identity {
                    uri,
                    kind: Kind::parse(&kind)?,
                    manager,
                })
            })
            .collect()
    }

    async fn revoke(&self, uri: &str, p: i64, reason: &str, a: &Audit) -> Result<(), StoreError> {
        let at = i(a.at);
        self.with(async |c| {
            let tx = c.transaction().await?;
            tx.execute(Q_REVOKE, &[&uri, &p, &at, &reason]).await?;
            tx.execute(Q_AUDIT, &[&at, &a.caller, &a.action, &a.target, &a.outcome])
                .await?;
            tx.commit().await
        })
        .await
    }

    async fn served(&self, s: &Served) -> Result<(), StoreError> {
        let at = i(s.audit.at);
        let mismatch = self
            .with(async |c| {
                let tx = c.transaction().await?;
                for r in &s.issued {
                    let no = i(r.period_no);
                    let n = tx
                        .execute(Q_ISSUE, &[&r.uri, &no, &r.pvt, &at, &s.origin])
                        .await?;
                    if n == 0 {
                        let row = tx.query_one(Q_ISSUED_PVT, &[&r.uri, &no]).await?;
                        let pvt: String = row.try_get(0)?;
                        if pvt != r.pvt {
                            // Dropping the transaction rolls it back.
                            return Ok(Some(format!("{} period {}", r.uri, r.period_no)));
                        }
                    }
                }
                let a = &s.audit;
                tx.execute(Q_AUDIT, &[&at, &a.caller, &a.action, &a.target, &a.outcome])
                    .await?;
                tx.commit().await?;
                Ok(None)
            })
            .await?;
        match mismatch {
            Some(m) => Err(StoreError::Inconsistent(format!(
                "{m}: the recorded PVT is not the one derived"
            ))),
            None => Ok(()),
        }
    }

    async fn issued(&self, period: Option<u64>) -> Result<Vec<Issuance>, StoreError> {
        self.with(async |c| {
            let rows = match period {
                Some(p) => c.query(Q_ISSUED_IN, &[&i(p)]).await?,
                None => c.query(Q_ISSUED_ALL, &[]).await?,
            };
            let mut v = Vec::with_capacity(rows.len());
            for r in rows {
                v.push(Issuance {
                    uri: r.try_get(0)?,
                    period_no: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or(0),
                    pvt: r.try_get(2)?,
                });
            }
            Ok(v)
        })
        .await
    }

    async fn audit(&self, a: &Audit) -> Result<(), StoreError> {
        let at = i(a.at);
        self.with(async |c| {
            c.execute(Q_AUDIT, &[&at, &a.caller, &a.action, &a.target, &a.outcome])
                .await
                .map(|_| ())
        })
        .await
    }

    async fn audit_log(&self) -> Result<Vec<Audit>, StoreError> {
        self.with(async |c| {
            let mut v = Vec::new();
            for r in c.query(Q_AUDIT_ALL, &[]).await? {
                v.push(Audit {
                    at: u64::try_from(r.try_get::<_, i64>(0)?).unwrap_or(0),
                    caller: r.try_get(1)?,
                    action: r.try_get(2)?,
                    target: r.try_get(3)?,
                    outcome: r.try_get(4)?,
                });
            }
            Ok(v)
        })
        .await
    }

    async fn request_time(
        &self,
        caller: &str,
        time: u64,
        path: &str,
        now: u64,
        forget_before: u64,
    ) -> Result<bool, StoreError> {
        let (t, n, f) = (i(time), i(now), i(forget_before));
        self.with(async |c| {
            c.execute(Q_TIMES_PURGE, &[&f]).await?;
            let k = c.execute(Q_TIMES_PUT, &[&caller, &t, &path, &n]).await?;
            Ok(k == 1)
        })
        .await
    }
}
