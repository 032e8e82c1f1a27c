-- Idempotency-Key records for v1 POSTs: the first request with a key claims it (status NULL while it runs),
-- then stores its response for replay. Keys are per project; rows older than the replay window are reused.
CREATE TABLE idempotency_keys (
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    request_hash   BYTEA NOT NULL,
    status         INTEGER,
    response_body  BYTEA,
    response_headers JSONB,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
