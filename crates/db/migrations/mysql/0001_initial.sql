-- Ganymede schema 1 (MariaDB/MySQL). Portable column types shared by every dialect:
-- timestamps are BIGINT microseconds since the Unix epoch (UTC), JSON is TEXT,
-- booleans are SMALLINT 0/1, secrets are stored as SHA-256 hex.
-- Every table is utf8mb4_bin: names compare and sort by code point, as on SQLite and
-- PostgreSQL (the server default, utf8mb4_general_ci, would make 'Alice' = 'alice').
-- No TINYINT anywhere: the Any driver cannot read it.

CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (name <> ''),
    admin SMALLINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    last_activity BIGINT,
    cookie_id VARCHAR(255) NOT NULL,
    encrypted_auth_state MEDIUMBLOB,
    user_info MEDIUMTEXT,
    CONSTRAINT users_name_key UNIQUE (name),
    CONSTRAINT users_cookie_id_key UNIQUE (cookie_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX users_last_activity_idx ON users (last_activity, id);

CREATE TABLE services (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (name <> ''),
    admin SMALLINT NOT NULL DEFAULT 0,
    url TEXT,
    oauth_client_id VARCHAR(255),
    info MEDIUMTEXT NOT NULL,
    display SMALLINT NOT NULL DEFAULT 1,
    oauth_no_confirm SMALLINT NOT NULL DEFAULT 0,
    from_config SMALLINT NOT NULL DEFAULT 1,
    CONSTRAINT services_name_key UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE hub_groups (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (name <> ''),
    properties MEDIUMTEXT NOT NULL,
    CONSTRAINT hub_groups_name_key UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE roles (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (name <> ''),
    description TEXT NOT NULL,
    scopes TEXT NOT NULL,
    managed_by_config SMALLINT NOT NULL DEFAULT 0,
    CONSTRAINT roles_name_key UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE servers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    display_name TEXT NOT NULL,
    state VARCHAR(16) NOT NULL CHECK (state IN ('stopped', 'queued', 'starting', 'waiting', 'running', 'stopping', 'failed')),
    spawner_state MEDIUMTEXT NOT NULL,
    state_version INTEGER NOT NULL DEFAULT 0,
    user_options MEDIUMTEXT NOT NULL,
    url TEXT,
    base_url TEXT NOT NULL,
    host TEXT,
    port INTEGER,
    started BIGINT,
    last_activity BIGINT,
    created BIGINT NOT NULL,
    CONSTRAINT servers_user_name_key UNIQUE (user_id, name),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX servers_state_idx ON servers (state, user_id);

CREATE TABLE server_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    server_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    from_state VARCHAR(16) NOT NULL,
    to_state VARCHAR(16) NOT NULL,
    message TEXT NOT NULL,
    FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX server_events_server_idx ON server_events (server_id, id);

CREATE TABLE user_groups (
    user_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES hub_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX user_groups_group_idx ON user_groups (group_id, user_id);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL,
    role_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

CREATE TABLE group_roles (
    group_id BIGINT NOT NULL,
    role_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, role_id),
    FOREIGN KEY (group_id) REFERENCES hub_groups (id) ON DELETE CASCADE,
    FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX group_roles_role_idx ON group_roles (role_id);

CREATE TABLE service_roles (
    service_id BIGINT NOT NULL,
    role_id BIGINT NOT NULL,
    PRIMARY KEY (service_id, role_id),
    FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE,
    FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX service_roles_role_idx ON service_roles (role_id);

CREATE TABLE oauth_clients (
    identifier VARCHAR(255) NOT NULL PRIMARY KEY CHECK (identifier <> ''),
    description TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    allowed_scopes TEXT NOT NULL,
    user_id BIGINT,
    server_id BIGINT,
    service_id BIGINT,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE,
    FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX oauth_clients_user_idx ON oauth_clients (user_id);
CREATE INDEX oauth_clients_server_idx ON oauth_clients (server_id);
CREATE INDEX oauth_clients_service_idx ON oauth_clients (service_id);

CREATE TABLE api_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    hashed VARCHAR(64) NOT NULL,
    prefix VARCHAR(16) NOT NULL,
    user_id BIGINT,
    service_id BIGINT,
    session_id TEXT,
    oauth_client_id VARCHAR(255),
    scopes TEXT NOT NULL,
    note TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_activity BIGINT,
    expires_at BIGINT,
    CONSTRAINT api_tokens_hashed_key UNIQUE (hashed),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE,
    FOREIGN KEY (oauth_client_id) REFERENCES oauth_clients (identifier) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);
CREATE INDEX api_tokens_service_idx ON api_tokens (service_id, id);
CREATE INDEX api_tokens_client_idx ON api_tokens (oauth_client_id);
CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);

CREATE TABLE oauth_codes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_id VARCHAR(255) NOT NULL,
    code_hash VARCHAR(64) NOT NULL,
    user_id BIGINT NOT NULL,
    session_id TEXT,
    scopes TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at BIGINT NOT NULL,
    CONSTRAINT oauth_codes_code_hash_key UNIQUE (code_hash),
    FOREIGN KEY (client_id) REFERENCES oauth_clients (identifier) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX oauth_codes_client_idx ON oauth_codes (client_id);
CREATE INDEX oauth_codes_user_idx ON oauth_codes (user_id);
CREATE INDEX oauth_codes_expires_idx ON oauth_codes (expires_at);

CREATE TABLE shares (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    server_id BIGINT NOT NULL,
    user_id BIGINT,
    group_id BIGINT,
    scopes TEXT NOT NULL,
    created BIGINT NOT NULL,
    CONSTRAINT shares_server_user_key UNIQUE (server_id, user_id),
    CONSTRAINT shares_server_group_key UNIQUE (server_id, group_id),
    FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES hub_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX shares_user_idx ON shares (user_id);
CREATE INDEX shares_group_idx ON shares (group_id);

CREATE TABLE share_codes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    server_id BIGINT NOT NULL,
    code_hash VARCHAR(64) NOT NULL,
    scopes TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    exchange_count BIGINT NOT NULL DEFAULT 0,
    last_exchanged_at BIGINT,
    CONSTRAINT share_codes_code_hash_key UNIQUE (code_hash),
    FOREIGN KEY (server_id) REFERENCES servers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX share_codes_server_idx ON share_codes (server_id, id);
CREATE INDEX share_codes_expires_idx ON share_codes (expires_at);
