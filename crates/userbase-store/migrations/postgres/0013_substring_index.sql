-- Suffix filters on the email (`email ew`) served by an index (issue 21). The trigram index of 0011 is slow for
-- them when the suffix is mostly a domain: its trigrams are shared by a large share of the users, and a
-- trigram search reads every user holding one. A suffix of the email is a prefix of the reversed email, which a
-- btree on it finds directly (`text_pattern_ops`, so that LIKE 'x%' is a range whatever the collation); the
-- filter compiler writes `email ew` in that form (`sql/filter.rs`). Not a partial index (users without an email
-- would need no entry): the planner ignores the statistics of a partial index's expression, and without them it
-- took a rare suffix for a common one and walked the project instead. `co` keeps the trigram index; SQLite's twin
-- of this migration creates its trigram tables.
CREATE INDEX users_project_email_reversed_idx ON users (project_id, reverse(email_normalized) text_pattern_ops);
