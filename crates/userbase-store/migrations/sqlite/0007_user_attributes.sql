-- Opaque attributes of users, one JSON document per user (Propeller's bulk `attributes`): kept as given so
-- that nothing a client sends is lost, outside the user row (no other surface reads them).
CREATE TABLE user_attributes (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
