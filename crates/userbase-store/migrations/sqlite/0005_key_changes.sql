-- Servers cache verified keys (each carries its project). SQLite has no LISTEN/NOTIFY, so every revocation and
-- project change bumps this one counter, inside the transaction that makes the change; each server reads it
-- every 100 ms and drops its cached keys when it moved.
CREATE TABLE change_marks (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO change_marks (id, counter) VALUES (1, 0);

CREATE TRIGGER api_keys_mark_revoked AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN OLD.revoked_at IS NOT NEW.revoked_at
BEGIN
    UPDATE change_marks SET counter = counter + 1 WHERE id = 1;
END;

CREATE TRIGGER projects_mark_changed AFTER UPDATE ON projects
    FOR EACH ROW
BEGIN
    UPDATE change_marks SET counter = counter + 1 WHERE id = 1;
END;
