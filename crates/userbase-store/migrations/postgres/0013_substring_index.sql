-- Suffix filters on the email (`email ew`) served by an index (issue 21). The trigram index of 0011 is slow for
-- them when the suffix is mostly a domain: its trigrams are shared by a large share of the users, and a
-- trigram search reads every user holding one. A suffix of the email is a prefix of the reversed email, which a
-- btree on it finds directly (`text_pattern_ops`, so that LIKE 'x%' is a range whatever the collation); the
-- filter compiler writes `email ew` in that form (`sql/filter.rs`). Only users with an email have an entry.
-- `co` keeps the trigram index; SQLite's twin of this migration creates its trigram tables.
CREATE INDEX users_project_email_reversed_idx ON users (project_id, reverse(email_normalized) text_pattern_ops)
    WHERE email_normalized IS NOT NULL;
