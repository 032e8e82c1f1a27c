-- Imports at speed (issue 21). The insert trigger of migration 0011 made every user insert a write of several
-- rows, which SQLite guards with a statement journal: a copy of each page the insert touches, a fifth of a bulk
-- import's time. The store's one user insert path (`lite/users.rs`, `Inserter`) now adds to `user_counts` itself,
-- once per transaction, in the same transaction as the inserts. Deletes, soft deletes and restores keep their
-- triggers.
DROP TRIGGER users_counted_insert;

-- The same for the trigram tables of migration 0013: FTS5 writes out its pending terms at every statement of a
-- transaction, so one insert trigger per user made a segment per user and halved the import rate. The inserter
-- adds a call's users to them with one statement per table.
DROP TRIGGER users_trigrams_insert;
