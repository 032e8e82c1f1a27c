-- userbase schema, PostgreSQL. The SQLite twin has the same tables, columns and constraint names.
-- It holds the whole canonical user model (canonical-model.md U2) and its sub-records, so that later
-- features add behaviour, not table rewrites.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE organizations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    public_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    source      TEXT,
    source_id   TEXT,
    plan        TEXT,
    metadata    JSONB NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    version     BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT organizations_source_pair CHECK ((source IS NULL) = (source_id IS NULL))
);
CREATE UNIQUE INDEX organizations_public_id_key ON organizations (public_id);
CREATE UNIQUE INDEX organizations_project_source_key ON organizations (project_id, source, source_id)
    WHERE source IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX organizations_project_idx ON organizations (project_id, id);

-- `id` is the user's integer id (Propeller, BoltonSea), assigned in creation order; lists page on it.
CREATE TABLE users (
    id                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id                  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    public_id                   TEXT NOT NULL,
    object_id                   TEXT NOT NULL,
    human_id                    TEXT NOT NULL,
    auth_subject                TEXT,
    email                       TEXT,
    -- Lowercased email, for lookups; `email_unique` says whether the row takes part in the uniqueness rule
    -- (project setting on, user not deleted, email present).
    email_normalized            TEXT,
    email_unique                BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified              BOOLEAN NOT NULL DEFAULT FALSE,
    salutation                  TEXT,
    first_name                  TEXT,
    middle_name                 TEXT,
    last_name                   TEXT,
    full_name                   TEXT,
    abbreviation                TEXT,
    birth_date                  DATE,
    gender                      TEXT CHECK (gender IN ('M', 'F', 'U')),
    phone                       TEXT,
    mobile                      TEXT,
    locale                      TEXT,
    country_code                TEXT,
    company_name                TEXT,
    login                       TEXT,
    debtor_id                   TEXT,
    tax_number                  TEXT,
    coc_number                  TEXT,
    pricelist_amount            TEXT,
    pricelist_percentage        TEXT,
    parent_group                JSONB,
    -- Read copy of user_external_refs, so that a user is read in one query.
    external_refs               JSONB NOT NULL DEFAULT '[]',
    metadata                    JSONB NOT NULL DEFAULT '{}',
    tags                        JSONB NOT NULL DEFAULT '[]',
    bio                         TEXT,
    note                        TEXT,
    image_ref                   TEXT,
    avatar                      TEXT,
    default_payment_method_ref  TEXT,
    roles                       JSONB NOT NULL DEFAULT '[]',
    default_organization_id     BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    builton                     JSONB NOT NULL,
    status                      TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'deleted')),
    created_at                  TIMESTAMPTZ NOT NULL,
    updated_at                  TIMESTAMPTZ NOT NULL,
    last_login_at               TIMESTAMPTZ,
    deleted_at                  TIMESTAMPTZ,
    version                     BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT users_deleted_consistent CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE UNIQUE INDEX users_public_id_key ON users (public_id);
CREATE UNIQUE INDEX users_object_id_key ON users (object_id);
CREATE UNIQUE INDEX users_project_human_id_key ON users (project_id, human_id);
CREATE UNIQUE INDEX users_project_email_key ON users (project_id, email_normalized) WHERE email_unique;
CREATE UNIQUE INDEX users_project_auth_subject_key ON users (project_id, auth_subject)
    WHERE auth_subject IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX users_project_email_idx ON users (project_id, email_normalized, id);
CREATE INDEX users_project_page_idx ON users (project_id, id);

-- Uniqueness of (source, source_id) among live users of a project, enforced by the database.
CREATE TABLE user_external_refs (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL,
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    live        BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, source, source_id)
);
CREATE UNIQUE INDEX user_external_refs_live_key ON user_external_refs (project_id, source, source_id) WHERE live;
CREATE INDEX user_external_refs_source_id_idx ON user_external_refs (project_id, source_id);

CREATE TABLE memberships (
    organization_id  BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id       TEXT NOT NULL,
    role             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE addresses (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id         TEXT NOT NULL,
    user_id            BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_id          TEXT NOT NULL,
    -- BuiltOn view: `billing` is its billing_address, `list` its addresses[] (in `position` order).
    kind               TEXT NOT NULL DEFAULT 'list' CHECK (kind IN ('list', 'billing')),
    type               TEXT NOT NULL CHECK (type IN ('delivery', 'invoice', 'home')),
    position           INTEGER NOT NULL DEFAULT 0,
    code               TEXT,
    alias              TEXT,
    company            TEXT,
    first_name         TEXT,
    middle_name        TEXT,
    last_name          TEXT,
    full_name          TEXT,
    gender             TEXT CHECK (gender IN ('M', 'F', 'U')),
    street             TEXT,
    number             TEXT,
    number_extension   TEXT,
    building           TEXT,
    postal_code        TEXT,
    city               TEXT,
    region             TEXT,
    country_code       TEXT,
    country_name       TEXT,
    email              TEXT,
    phone              TEXT,
    mobile             TEXT,
    fax                TEXT,
    url                TEXT,
    notes              TEXT,
    icp                BOOLEAN NOT NULL DEFAULT FALSE,
    is_default         BOOLEAN NOT NULL DEFAULT FALSE,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    geo_lat            DOUBLE PRECISION,
    geo_lng            DOUBLE PRECISION,
    geocoder           TEXT,
    geocoder_place_id  TEXT,
    geocoder_raw       JSONB,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX addresses_public_id_key ON addresses (public_id);
CREATE UNIQUE INDEX addresses_user_code_key ON addresses (user_id, code) WHERE code IS NOT NULL;
CREATE UNIQUE INDEX addresses_user_default_key ON addresses (user_id, type) WHERE is_default;
CREATE INDEX addresses_user_idx ON addresses (user_id, type, id);

-- Propeller pricing, stored as given (no product catalogue).
CREATE TABLE user_pricing (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id        TEXT NOT NULL,
    user_id           BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_kind       TEXT NOT NULL CHECK (target_kind IN ('category', 'product')),
    target_id         BIGINT,
    target_source     TEXT,
    target_source_id  TEXT,
    shop_id           BIGINT,
    pricing           JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_pricing_user_idx ON user_pricing (user_id, id);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('secret', 'publishable', 'user')),
    name          TEXT,
    prefix        TEXT NOT NULL,
    -- SHA-256 of the key's secret part; the plaintext is never stored.
    secret_hash   BYTEA NOT NULL,
    user_id       BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scopes        JSONB NOT NULL DEFAULT '[]',
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX api_keys_project_idx ON api_keys (project_id, created_at);
