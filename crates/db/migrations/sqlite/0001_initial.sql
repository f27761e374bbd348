-- Ganymede schema 1 (SQLite). Portable column types shared by every dialect:
-- timestamps are BIGINT microseconds since the Unix epoch (UTC), JSON is TEXT,
-- booleans are SMALLINT 0/1, secrets are stored as SHA-256 hex.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    admin SMALLINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    last_activity BIGINT,
    cookie_id TEXT NOT NULL,
    encrypted_auth_state BLOB,
    user_info TEXT,
    CONSTRAINT users_name_key UNIQUE (name),
    CONSTRAINT users_cookie_id_key UNIQUE (cookie_id)
);
CREATE INDEX users_last_activity_idx ON users (last_activity, id);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    admin SMALLINT NOT NULL DEFAULT 0,
    url TEXT,
    oauth_client_id TEXT,
    info TEXT NOT NULL,
    display SMALLINT NOT NULL DEFAULT 1,
    oauth_no_confirm SMALLINT NOT NULL DEFAULT 0,
    from_config SMALLINT NOT NULL DEFAULT 1,
    CONSTRAINT services_name_key UNIQUE (name)
);

CREATE TABLE hub_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    properties TEXT NOT NULL,
    CONSTRAINT hub_groups_name_key UNIQUE (name)
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description TEXT NOT NULL,
    scopes TEXT NOT NULL,
    managed_by_config SMALLINT NOT NULL DEFAULT 0,
    CONSTRAINT roles_name_key UNIQUE (name)
);

CREATE TABLE servers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) <= 255),
    display_name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('stopped', 'queued', 'starting', 'waiting', 'running', 'stopping', 'failed')),
    spawner_state TEXT NOT NULL,
    state_version INTEGER NOT NULL DEFAULT 0,
    user_options TEXT NOT NULL,
    url TEXT,
    base_url TEXT NOT NULL,
    host TEXT,
    port INTEGER,
    started BIGINT,
    last_activity BIGINT,
    created BIGINT NOT NULL,
    CONSTRAINT servers_user_name_key UNIQUE (user_id, name)
);
CREATE INDEX servers_state_idx ON servers (state, user_id);

CREATE TABLE server_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX server_events_server_idx ON server_events (server_id, id);

CREATE TABLE user_groups (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES hub_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_groups_group_idx ON user_groups (group_id, user_id);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

CREATE TABLE group_roles (
    group_id BIGINT NOT NULL REFERENCES hub_groups (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role_idx ON group_roles (role_id);

CREATE TABLE service_roles (
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, role_id)
);
CREATE INDEX service_roles_role_idx ON service_roles (role_id);

CREATE TABLE oauth_clients (
    identifier TEXT NOT NULL PRIMARY KEY CHECK (length(identifier) BETWEEN 1 AND 255),
    description TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    allowed_scopes TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    server_id BIGINT REFERENCES servers (id) ON DELETE CASCADE,
    service_id BIGINT REFERENCES services (id) ON DELETE CASCADE
);
CREATE INDEX oauth_clients_user_idx ON oauth_clients (user_id);
CREATE INDEX oauth_clients_server_idx ON oauth_clients (server_id);
CREATE INDEX oauth_clients_service_idx ON oauth_clients (service_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hashed TEXT NOT NULL,
    prefix TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    service_id BIGINT REFERENCES services (id) ON DELETE CASCADE,
    session_id TEXT,
    oauth_client_id TEXT REFERENCES oauth_clients (identifier) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    note TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_activity BIGINT,
    expires_at BIGINT,
    CONSTRAINT api_tokens_hashed_key UNIQUE (hashed),
    CONSTRAINT api_tokens_one_owner CHECK ((user_id IS NULL) <> (service_id IS NULL))
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);
CREATE INDEX api_tokens_service_idx ON api_tokens (service_id, id);
CREATE INDEX api_tokens_client_idx ON api_tokens (oauth_client_id);
CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);

CREATE TABLE oauth_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES oauth_clients (identifier) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT,
    scopes TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at BIGINT NOT NULL,
    CONSTRAINT oauth_codes_code_hash_key UNIQUE (code_hash)
);
CREATE INDEX oauth_codes_client_idx ON oauth_codes (client_id);
CREATE INDEX oauth_codes_user_idx ON oauth_codes (user_id);
CREATE INDEX oauth_codes_expires_idx ON oauth_codes (expires_at);

CREATE TABLE shares (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES hub_groups (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created BIGINT NOT NULL,
    CONSTRAINT shares_server_user_key UNIQUE (server_id, user_id),
    CONSTRAINT shares_server_group_key UNIQUE (server_id, group_id),
    CONSTRAINT shares_one_target CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX shares_user_idx ON shares (user_id);
CREATE INDEX shares_group_idx ON shares (group_id);

CREATE TABLE share_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    exchange_count BIGINT NOT NULL DEFAULT 0,
    last_exchanged_at BIGINT,
    CONSTRAINT share_codes_code_hash_key UNIQUE (code_hash)
);
CREATE INDEX share_codes_server_idx ON share_codes (server_id, id);
CREATE INDEX share_codes_expires_idx ON share_codes (expires_at);
