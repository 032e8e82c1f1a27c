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

-- Single creates: FTS5 writes a segment per table at every statement that follows a write to it, so three per
-- user created, merged again later (a third of the create rate). Users inserted in a transaction are listed
-- here instead and written to the trigram tables together, at the end of the transaction (`lite/trigrams.rs`):
-- once for a whole group commit of concurrent creates, once per bulk call. The table is empty between
-- transactions. Until then a listed user is not in the trigram tables, so the update and delete triggers leave
-- them alone for it (the end-of-transaction pass indexes its values as they are then, or nothing if it is gone).
CREATE TABLE users_trigrams_pending (user_id INTEGER PRIMARY KEY) STRICT;

DROP TRIGGER users_trigrams_delete;
CREATE TRIGGER users_trigrams_delete AFTER DELETE ON users
    WHEN NOT EXISTS (SELECT 1 FROM users_trigrams_pending WHERE user_id = OLD.id)
BEGIN
    INSERT INTO users_email_trigrams (users_email_trigrams, rowid, email_normalized)
    VALUES ('delete', OLD.id, OLD.email_normalized);
    INSERT INTO users_first_name_trigrams (users_first_name_trigrams, rowid, first_name)
    VALUES ('delete', OLD.id, OLD.first_name);
    INSERT INTO users_last_name_trigrams (users_last_name_trigrams, rowid, last_name)
    VALUES ('delete', OLD.id, OLD.last_name);
END;

DROP TRIGGER users_trigrams_update_email;
CREATE TRIGGER users_trigrams_update_email AFTER UPDATE OF email_normalized ON users
    WHEN OLD.email_normalized IS NOT NEW.email_normalized
        AND NOT EXISTS (SELECT 1 FROM users_trigrams_pending WHERE user_id = OLD.id)
BEGIN
    INSERT INTO users_email_trigrams (users_email_trigrams, rowid, email_normalized)
    VALUES ('delete', OLD.id, OLD.email_normalized);
    INSERT INTO users_email_trigrams (rowid, email_normalized) VALUES (NEW.id, NEW.email_normalized);
END;

DROP TRIGGER users_trigrams_update_first_name;
CREATE TRIGGER users_trigrams_update_first_name AFTER UPDATE OF first_name ON users
    WHEN OLD.first_name IS NOT NEW.first_name
        AND NOT EXISTS (SELECT 1 FROM users_trigrams_pending WHERE user_id = OLD.id)
BEGIN
    INSERT INTO users_first_name_trigrams (users_first_name_trigrams, rowid, first_name)
    VALUES ('delete', OLD.id, OLD.first_name);
    INSERT INTO users_first_name_trigrams (rowid, first_name) VALUES (NEW.id, NEW.first_name);
END;

DROP TRIGGER users_trigrams_update_last_name;
CREATE TRIGGER users_trigrams_update_last_name AFTER UPDATE OF last_name ON users
    WHEN OLD.last_name IS NOT NEW.last_name
        AND NOT EXISTS (SELECT 1 FROM users_trigrams_pending WHERE user_id = OLD.id)
BEGIN
    INSERT INTO users_last_name_trigrams (users_last_name_trigrams, rowid, last_name)
    VALUES ('delete', OLD.id, OLD.last_name);
    INSERT INTO users_last_name_trigrams (rowid, last_name) VALUES (NEW.id, NEW.last_name);
END;
