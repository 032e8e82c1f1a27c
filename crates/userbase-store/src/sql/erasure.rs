//! Permanent erase and retention purge: the statements both stores run, over a set of users. The set is the
//! one thing the backends spell differently (PostgreSQL binds an array, SQLite a JSON array), so each
//! statement is built once per backend from a `UserSet`.

use userbase_core::erasure::ErasedCounts;

/// How a backend names "one of the users bound at `$2`" and "a public id bound at `$2` appears in the bytes
/// of `body`".
pub struct UserSet {
    /// Follows `user_id ` or `id `.
    pub ids: &'static str,
    /// A `FROM` item with one column, `public_id`.
    pub public_ids: &'static str,
    /// Whether a text column `public_id` occurs in a bytes column `body` (both placeholders filled in).
    pub contains: fn(&str, &str) -> String,
    /// Appended to the selection of the users to remove: row locks that make concurrent removers skip them.
    pub lock: &'static str,
    pub skip_locked: &'static str,
}

/// The statements of an erase or purge batch, for one backend.
pub struct Statements {
    /// `$1` project, `$2` user id: the user, locked; `(id, public_id)`.
    pub select_user: String,
    /// `$1` project, `$2` deleted before, `$3` limit: the oldest deleted users due, locked; `(id, public_id)`.
    pub select_due: String,
    /// `$1` project, `$2` the user set; each answers how many rows it removed.
    pub addresses: String,
    pub memberships: String,
    pub pricing: String,
    pub external_refs: String,
    pub attributes: String,
    /// Returns each removed record's `kind`.
    pub records: String,
    /// Returns each removed key's `id`.
    pub keys: String,
    /// `$1` project, `$2` the public-id set.
    pub idempotency: String,
    pub users: String,
    /// `$1` project, `$2` deleted before, `$3` idempotency records expired before: one row of counts
    /// (`COUNT_COLUMNS` order).
    pub count_purgeable: String,
}

impl Statements {
    pub fn new(set: &UserSet) -> Self {
        let ids = set.ids;
        let by_user = |table: &str| format!("DELETE FROM {table} WHERE project_id = $1 AND user_id {ids}");
        let due = "SELECT id FROM users WHERE project_id = $1 AND deleted_at < $2";
        let count = |table: &str, extra: &str| {
            format!("(SELECT count(*) FROM {table} WHERE project_id = $1 AND user_id IN ({due}){extra})")
        };
        let names_due_user = (set.contains)("u.public_id", "k.response_body");
        let count_purgeable = format!(
            "SELECT (SELECT count(*) FROM users WHERE project_id = $1 AND deleted_at < $2), {}, {}, {}, {}, {}, {}, \
             {}, {}, {}, (SELECT count(*) FROM idempotency_keys k WHERE k.project_id = $1 AND (k.created_at < $3 OR \
             (k.response_body IS NOT NULL AND EXISTS (SELECT 1 FROM users u WHERE u.project_id = $1 \
             AND u.deleted_at < $2 AND {names_due_user}))))",
            count("addresses", ""),
            count("memberships", ""),
            count("user_records", " AND kind = 'order'"),
            count("user_records", " AND kind = 'payment_method'"),
            count("user_records", " AND kind = 'subscription'"),
            count("user_pricing", ""),
            count("user_external_refs", ""),
            count("api_keys", ""),
            count("user_attributes", ""),
        );
        Self {
            select_user: format!("SELECT id, public_id FROM users WHERE project_id = $1 AND id = $2{}", set.lock),
            select_due: format!(
                "SELECT id, public_id FROM users WHERE project_id = $1 AND deleted_at < $2 \
                 ORDER BY deleted_at, id LIMIT $3{}",
                set.skip_locked
            ),
            addresses: by_user("addresses"),
            memberships: by_user("memberships"),
            pricing: by_user("user_pricing"),
            external_refs: by_user("user_external_refs"),
            attributes: by_user("user_attributes"),
            records: format!("{} RETURNING kind", by_user("user_records")),
            keys: format!("{} RETURNING id", by_user("api_keys")),
            idempotency: format!(
                "DELETE FROM idempotency_keys WHERE project_id = $1 AND response_body IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM {} WHERE {})",
                set.public_ids,
                (set.contains)("p.public_id", "response_body")
            ),
            users: format!("DELETE FROM users WHERE project_id = $1 AND id {ids}"),
            count_purgeable,
        }
    }
}

/// `$1` project, `$2` user id: the user's memberships whether it is deleted or not (rows as `SELECT_MEMBERSHIPS`).
pub const MEMBERSHIPS_OF_USER: &str = "SELECT m.organization_id, o.public_id AS organization_public_id, \
    o.name AS organization_name, m.user_id, u.public_id AS user_public_id, m.role, m.created_at \
    FROM memberships m JOIN organizations o ON o.id = m.organization_id JOIN users u ON u.id = m.user_id \
    WHERE m.project_id = $1 AND m.user_id = $2 ORDER BY m.created_at, m.organization_id";

/// `$1` project, `$2` created before, `$3` limit: removes a bounded batch of expired idempotency records.
pub const PURGE_EXPIRED_IDEMPOTENCY: &str = "DELETE FROM idempotency_keys WHERE (project_id, key) IN \
    (SELECT project_id, key FROM idempotency_keys WHERE project_id = $1 AND created_at < $2 LIMIT $3)";

/// Counts of `Statements::count_purgeable`, in its column order.
pub fn purgeable_counts(c: [i64; 11]) -> ErasedCounts {
    let n = |i: usize| u64::try_from(c[i]).unwrap_or(0);
    ErasedCounts {
        users: n(0),
        addresses: n(1),
        memberships: n(2),
        orders: n(3),
        payment_methods: n(4),
        subscriptions: n(5),
        pricing: n(6),
        external_refs: n(7),
        keys: n(8),
        attributes: n(9),
        idempotency_records: n(10),
    }
}

/// Adds one removed record of `kind` (a `user_records.kind` value) to the counts.
pub fn count_record(counts: &mut ErasedCounts, kind: &str) {
    match kind {
        "order" => counts.orders += 1,
        "payment_method" => counts.payment_methods += 1,
        _ => counts.subscriptions += 1,
    }
}
