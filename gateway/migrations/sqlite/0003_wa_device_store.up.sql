-- 0003 WhatsApp device store (wa::store::DeviceStore over SQL): one companion device per gateway
-- session, with its Signal state. Binary values are BLOBs; every row goes with its session.
-- (The library's own single-device SQLite schema in wa/src/store/sqlite_store.cpp serves wa-tool;
-- it says why both exist.)
CREATE TABLE wa_devices (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    noise_pub BLOB NOT NULL CHECK (length(noise_pub) = 32),
    noise_priv BLOB NOT NULL CHECK (length(noise_priv) = 32),
    identity_pub BLOB NOT NULL CHECK (length(identity_pub) = 32),
    identity_priv BLOB NOT NULL CHECK (length(identity_priv) = 32),
    registration_id INTEGER NOT NULL CHECK (registration_id BETWEEN 0 AND 4294967295),
    signed_prekey_id INTEGER NOT NULL CHECK (signed_prekey_id BETWEEN 0 AND 16777215),
    signed_prekey_pub BLOB NOT NULL CHECK (length(signed_prekey_pub) = 32),
    signed_prekey_priv BLOB NOT NULL CHECK (length(signed_prekey_priv) = 32),
    signed_prekey_sig BLOB NOT NULL CHECK (length(signed_prekey_sig) = 64),
    adv_secret BLOB NOT NULL CHECK (length(adv_secret) = 32),
    account BLOB NOT NULL,
    jid TEXT,
    lid TEXT,
    platform TEXT NOT NULL DEFAULT '',
    business_name TEXT NOT NULL DEFAULT '',
    push_name TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE wa_prekeys (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id INTEGER NOT NULL CHECK (id BETWEEN 1 AND 16777215),
    pub BLOB NOT NULL CHECK (length(pub) = 32),
    priv BLOB NOT NULL CHECK (length(priv) = 32),
    uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    PRIMARY KEY (session_id, id)
);

CREATE TABLE wa_prekey_alloc (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    next_id INTEGER NOT NULL CHECK (next_id BETWEEN 1 AND 16777215)
);

CREATE TABLE wa_signal_sessions (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    device INTEGER NOT NULL CHECK (device >= 0),
    record BLOB NOT NULL,
    PRIMARY KEY (session_id, name, device)
);

CREATE TABLE wa_identities (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    device INTEGER NOT NULL CHECK (device >= 0),
    key BLOB NOT NULL CHECK (length(key) = 32),
    PRIMARY KEY (session_id, name, device)
);

CREATE TABLE wa_sender_keys (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    name TEXT NOT NULL,
    device INTEGER NOT NULL CHECK (device >= 0),
    record BLOB NOT NULL,
    PRIMARY KEY (session_id, group_id, name, device)
);

CREATE TABLE wa_lid_map (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    lid TEXT NOT NULL CHECK (length(lid) > 0),
    pn TEXT NOT NULL CHECK (length(pn) > 0),
    PRIMARY KEY (session_id, lid),
    CONSTRAINT wa_lid_map_pn_unique UNIQUE (session_id, pn)
);
