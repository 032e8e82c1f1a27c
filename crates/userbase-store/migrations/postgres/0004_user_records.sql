-- Records owned by a user: orders, payment methods and subscriptions (BuiltOn lists them per user).
-- One table, told apart by `kind`, because they share what the APIs filter on: a status, a second status
-- for orders (delivery), timestamps and soft deletion. Kind-specific fields live in `details`.
CREATE TABLE user_records (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id       TEXT NOT NULL,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_id        TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('order', 'payment_method', 'subscription')),
    status           TEXT NOT NULL,
    delivery_status  TEXT,
    details          JSONB NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX user_records_public_id_key ON user_records (public_id);
CREATE INDEX user_records_user_kind_idx ON user_records (user_id, kind, created_at, id);
