//! The one clock of the domain. Timestamps are truncated to microseconds so that every backend stores and
//! returns exactly the value that was written (PostgreSQL keeps microseconds).

use time::OffsetDateTime;

/// Now, in UTC, at microsecond precision.
pub fn now_utc() -> OffsetDateTime {
    truncate_to_micros(OffsetDateTime::now_utc())
}

/// Drops sub-microsecond precision.
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}
