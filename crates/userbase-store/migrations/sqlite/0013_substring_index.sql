-- Substring and suffix filters (`co`, `ew`) on the email and the names served by an index (issue 21): one FTS5
-- table per column with the trigram tokenizer, which folds case. Each holds only the trigrams of its column and
-- the users' ids: external content (`users` itself, so no copy of the text), no column sizes (no ranking), and
-- detail=none (no positions; the filter compiler asks for the trigrams of the value and checks the candidates
-- with the same LIKE as before, `sql/substring.rs`). Three tables of detail=none measured smaller (41 bytes per
-- user) and faster to fill than one table of three columns, which needs detail=column for column filters (104).
CREATE VIRTUAL TABLE users_email_trigrams USING fts5 (
    email_normalized, content = 'users', content_rowid = 'id', tokenize = 'trigram', detail = none, columnsize = 0);
CREATE VIRTUAL TABLE users_first_name_trigrams USING fts5 (
    first_name, content = 'users', content_rowid = 'id', tokenize = 'trigram', detail = none, columnsize = 0);
CREATE VIRTUAL TABLE users_last_name_trigrams USING fts5 (
    last_name, content = 'users', content_rowid = 'id', tokenize = 'trigram', detail = none, columnsize = 0);

INSERT INTO users_email_trigrams (users_email_trigrams) VALUES ('rebuild');
INSERT INTO users_first_name_trigrams (users_first_name_trigrams) VALUES ('rebuild');
INSERT INTO users_last_name_trigrams (users_last_name_trigrams) VALUES ('rebuild');

-- Kept by triggers, in the transaction of every insert, update, erase, purge and delete, whatever the code path
-- (a project's deletion removes its users by cascade, which runs the delete trigger too). An external-content
-- table forgets a row by being told the values it indexed: the old row's. Updates that leave a column as it was
-- (most: a patch rewrites every column) do not touch its table.
CREATE TRIGGER users_trigrams_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_email_trigrams (rowid, email_normalized) VALUES (NEW.id, NEW.email_normalized);
    INSERT INTO users_first_name_trigrams (rowid, first_name) VALUES (NEW.id, NEW.first_name);
    INSERT INTO users_last_name_trigrams (rowid, last_name) VALUES (NEW.id, NEW.last_name);
END;

CREATE TRIGGER users_trigrams_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_email_trigrams (users_email_trigrams, rowid, email_normalized)
    VALUES ('delete', OLD.id, OLD.email_normalized);
    INSERT INTO users_first_name_trigrams (users_first_name_trigrams, rowid, first_name)
    VALUES ('delete', OLD.id, OLD.first_name);
    INSERT INTO users_last_name_trigrams (users_last_name_trigrams, rowid, last_name)
    VALUES ('delete', OLD.id, OLD.last_name);
END;

CREATE TRIGGER users_trigrams_update_email AFTER UPDATE OF email_normalized ON users
    WHEN OLD.email_normalized IS NOT NEW.email_normalized
BEGIN
    INSERT INTO users_email_trigrams (users_email_trigrams, rowid, email_normalized)
    VALUES ('delete', OLD.id, OLD.email_normalized);
    INSERT INTO users_email_trigrams (rowid, email_normalized) VALUES (NEW.id, NEW.email_normalized);
END;

CREATE TRIGGER users_trigrams_update_first_name AFTER UPDATE OF first_name ON users
    WHEN OLD.first_name IS NOT NEW.first_name
BEGIN
    INSERT INTO users_first_name_trigrams (users_first_name_trigrams, rowid, first_name)
    VALUES ('delete', OLD.id, OLD.first_name);
    INSERT INTO users_first_name_trigrams (rowid, first_name) VALUES (NEW.id, NEW.first_name);
END;

CREATE TRIGGER users_trigrams_update_last_name AFTER UPDATE OF last_name ON users
    WHEN OLD.last_name IS NOT NEW.last_name
BEGIN
    INSERT INTO users_last_name_trigrams (users_last_name_trigrams, rowid, last_name)
    VALUES ('delete', OLD.id, OLD.last_name);
    INSERT INTO users_last_name_trigrams (rowid, last_name) VALUES (NEW.id, NEW.last_name);
END;
