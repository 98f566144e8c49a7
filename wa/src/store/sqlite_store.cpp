// SQLite DeviceStore (wa-tool). Schema version 1 in PRAGMA user_version. Every blob column has a
// length CHECK so a corrupt or foreign file fails loudly instead of yielding short keys.
//
// Why a second schema exists beside the gateway's (gateway/migrations/*/0003_wa_device_store):
// this one is the library's own, for one device per file, used by wa-tool and the library's tests
// without any gateway; the gateway keeps many devices in one database, keyed by session and
// deleted with it, on SQLite or PostgreSQL, under its migrations. The library may not depend on
// the gateway, and the gateway's tables need the session key this file has no use for. Both pass
// the same DeviceStore contract tests (wa/tests/store/).
#include "wa/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace wa::store {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device (
  singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
  noise_pub          BLOB NOT NULL CHECK (length(noise_pub) = 32),
  noise_priv         BLOB NOT NULL CHECK (length(noise_priv) = 32),
  identity_pub       BLOB NOT NULL CHECK (length(identity_pub) = 32),
  identity_priv      BLOB NOT NULL CHECK (length(identity_priv) = 32),
  registration_id    INTEGER NOT NULL CHECK (registration_id BETWEEN 0 AND 4294967295),
  signed_prekey_id   INTEGER NOT NULL CHECK (signed_prekey_id BETWEEN 0 AND 16777215),
  signed_prekey_pub  BLOB NOT NULL CHECK (length(signed_prekey_pub) = 32),
  signed_prekey_priv BLOB NOT NULL CHECK (length(signed_prekey_priv) = 32),
  signed_prekey_sig  BLOB NOT NULL CHECK (length(signed_prekey_sig) = 64),
  adv_secret         BLOB NOT NULL CHECK (length(adv_secret) = 32),
  account            BLOB NOT NULL,  -- serialized ADVSignedDeviceIdentity; empty before pairing
  jid                TEXT,           -- own PN JID with device; NULL before pairing
  lid                TEXT,
  platform           TEXT NOT NULL,
  business_name      TEXT NOT NULL,
  push_name          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prekeys (
  id       INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 16777215),
  pub      BLOB NOT NULL CHECK (length(pub) = 32),
  priv     BLOB NOT NULL CHECK (length(priv) = 32),
  uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1))
);
CREATE TABLE IF NOT EXISTS prekey_alloc (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  next_id   INTEGER NOT NULL CHECK (next_id BETWEEN 1 AND 16777215)
);
CREATE TABLE IF NOT EXISTS sessions (
  name   TEXT NOT NULL,
  device INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (name, device)
);
CREATE TABLE IF NOT EXISTS identities (
  name   TEXT NOT NULL,
  device INTEGER NOT NULL,
  key    BLOB NOT NULL CHECK (length(key) = 32),
  PRIMARY KEY (name, device)
);
CREATE TABLE IF NOT EXISTS sender_keys (
  group_id TEXT NOT NULL,
  name     TEXT NOT NULL,
  device   INTEGER NOT NULL,
  record   BLOB NOT NULL,
  PRIMARY KEY (group_id, name, device)
);
CREATE TABLE IF NOT EXISTS lid_map (
  lid TEXT PRIMARY KEY,
  pn  TEXT NOT NULL UNIQUE
);
)sql";

StoreError backend_error(sqlite3* db, const char* what) {
  return {StoreErrc::backend, std::string(what) + ": " + sqlite3_errmsg(db)};
}

/// A prepared statement; finalized on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) st_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return st_ != nullptr; }
  Stmt& bind(int i, std::int64_t v) {
    track(sqlite3_bind_int64(st_, i, v));
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    track(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind_blob(int i, std::span<const std::uint8_t> v) {
    // A null pointer would bind SQL NULL; an empty blob must stay an empty blob.
    static const std::uint8_t kEmpty = 0;
    track(sqlite3_bind_blob(st_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind_null(int i) {
    track(sqlite3_bind_null(st_, i));
    return *this;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code (a bind error is reported here).
  int step() {
    if (bind_rc_ != SQLITE_OK) return bind_rc_;
    return sqlite3_step(st_);
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(st_, col); }
  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  Bytes blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(st_, col));
    return p ? Bytes(p, p + n) : Bytes();
  }
  template <std::size_t N>
  bool fixed(int col, std::array<std::uint8_t, N>& out) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
    if (!p || static_cast<std::size_t>(sqlite3_column_bytes(st_, col)) != N) return false;
    std::memcpy(out.data(), p, N);
    return true;
  }

 private:
  void track(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3_stmt* st_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

std::span<const std::uint8_t> span_of(const Key32& k) {
  return {k.data(), k.size()};
}

/// Runs a statement that returns no rows.
StoreResult<void> run(sqlite3* db, Stmt& st, const char* what) {
  if (!st.prepared()) return backend_error(db, what);
  int rc = st.step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return backend_error(db, what);
  return {};
}

bool valid_prekey_id(std::uint32_t id) {
  return id >= 1 && id <= kMaxPreKeyId;
}

}  // namespace

// --- lifecycle -------------------------------------------------------------------------------

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    StoreError e{StoreErrc::backend,
                 "open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_busy_timeout(db, 5000);
  if (auto r = store->migrate(); !r) return std::move(r).error();
  return store;
}

SqliteStore::~SqliteStore() {
  sqlite3_close(db_);
}

StoreResult<void> SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    StoreError e{StoreErrc::backend, err ? err : sqlite3_errmsg(db_)};
    sqlite3_free(err);
    return e;
  }
  return {};
}

StoreResult<void> SqliteStore::migrate() {
  if (auto r = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r) return r;
  Stmt v(db_, "PRAGMA user_version");
  if (!v.prepared() || v.step() != SQLITE_ROW) return backend_error(db_, "read schema version");
  const auto version = v.int64(0);
  if (version > kSchemaVersion) {
    return {StoreErrc::corrupt,
            "store schema version " + std::to_string(version) + " is newer than this build"};
  }
  if (version == kSchemaVersion) return {};
  return transaction([&]() -> StoreResult<void> {
    if (auto r = exec(kSchema); !r) return r;
    return exec("PRAGMA user_version = 1");
  });
}

StoreResult<void> SqliteStore::transaction(const std::function<StoreResult<void>()>& body) {
  // Savepoints nest; the outermost one opens (and RELEASE commits) the transaction.
  const std::string name = "wa_sp" + std::to_string(savepoint_depth_);
  if (auto r = exec(("SAVEPOINT " + name).c_str()); !r) return r;
  struct Depth {
    unsigned& d;
    explicit Depth(unsigned& depth) : d(depth) { ++d; }
    ~Depth() { --d; }
  };
  StoreResult<void> result;
  try {
    Depth guard(savepoint_depth_);
    result = body();
  } catch (...) {  // e.g. bad_alloc: undo, then let it propagate
    (void)exec(("ROLLBACK TO " + name + "; RELEASE " + name).c_str());
    throw;
  }
  if (result) {
    if (auto r = exec(("RELEASE " + name).c_str()); !r) {
      (void)exec(("ROLLBACK TO " + name + "; RELEASE " + name).c_str());
      return r;
    }
    return result;
  }
  (void)exec(("ROLLBACK TO " + name + "; RELEASE " + name).c_str());
  return result;
}

StoreResult<std::optional<std::string>> SqliteStore::get_meta(std::string_view key) {
  Stmt st(db_, "SELECT value FROM meta WHERE key = ?");
  if (!st.prepared()) return backend_error(db_, "get meta");
  st.bind(1, key);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>{};
  if (rc != SQLITE_ROW) return backend_error(db_, "get meta");
  return std::optional<std::string>{st.text(0)};
}

StoreResult<void> SqliteStore::set_meta(std::string_view key, std::string_view value) {
  Stmt st(db_,
          "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = "
          "excluded.value");
  st.bind(1, key).bind(2, value);
  return run(db_, st, "set meta");
}

// --- device ----------------------------------------------------------------------------------

StoreResult<std::optional<DeviceRecord>> SqliteStore::load_device() {
  Stmt st(
      db_,
      "SELECT noise_pub, noise_priv, identity_pub, identity_priv, registration_id, "
      "signed_prekey_id,"
      " signed_prekey_pub, signed_prekey_priv, signed_prekey_sig, adv_secret, account, jid, lid,"
      " platform, business_name, push_name FROM device WHERE singleton = 1");
  if (!st.prepared()) return backend_error(db_, "load device");
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<DeviceRecord>{};
  if (rc != SQLITE_ROW) return backend_error(db_, "load device");
  DeviceRecord d;
  bool ok = st.fixed(0, d.noise_key.pub) && st.fixed(1, d.noise_key.priv) &&
            st.fixed(2, d.identity_key.pub) && st.fixed(3, d.identity_key.priv) &&
            st.fixed(6, d.signed_prekey.key.pub) && st.fixed(7, d.signed_prekey.key.priv) &&
            st.fixed(8, d.signed_prekey.signature) && st.fixed(9, d.adv_secret);
  if (!ok) return {StoreErrc::corrupt, "device key of the wrong length"};
  d.registration_id = static_cast<std::uint32_t>(st.int64(4));
  d.signed_prekey.id = static_cast<std::uint32_t>(st.int64(5));
  d.account = st.blob(10);
  for (int col : {11, 12}) {
    if (st.is_null(col)) continue;
    auto jid = Jid::parse(st.text(col));
    if (!jid) return {StoreErrc::corrupt, "stored JID: " + jid.error().message()};
    (col == 11 ? d.jid : d.lid) = std::move(*jid);
  }
  d.platform = st.text(13);
  d.business_name = st.text(14);
  d.push_name = st.text(15);
  return std::optional<DeviceRecord>{std::move(d)};
}

StoreResult<void> SqliteStore::save_device(const DeviceRecord& d) {
  Stmt st(
      db_,
      "INSERT OR REPLACE INTO device(singleton, noise_pub, noise_priv, identity_pub, identity_priv,"
      " registration_id, signed_prekey_id, signed_prekey_pub, signed_prekey_priv, "
      "signed_prekey_sig,"
      " adv_secret, account, jid, lid, platform, business_name, push_name)"
      " VALUES(1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind_blob(1, span_of(d.noise_key.pub))
      .bind_blob(2, span_of(d.noise_key.priv))
      .bind_blob(3, span_of(d.identity_key.pub))
      .bind_blob(4, span_of(d.identity_key.priv))
      .bind(5, std::int64_t{d.registration_id})
      .bind(6, std::int64_t{d.signed_prekey.id})
      .bind_blob(7, span_of(d.signed_prekey.key.pub))
      .bind_blob(8, span_of(d.signed_prekey.key.priv))
      .bind_blob(9, d.signed_prekey.signature)
      .bind_blob(10, span_of(d.adv_secret))
      .bind_blob(11, d.account);
  if (d.jid)
    st.bind(12, d.jid->to_string());
  else
    st.bind_null(12);
  if (d.lid)
    st.bind(13, d.lid->to_string());
  else
    st.bind_null(13);
  st.bind(14, d.platform).bind(15, d.business_name).bind(16, d.push_name);
  return run(db_, st, "save device");
}

StoreResult<void> SqliteStore::wipe() {
  return transaction([&] {
    return exec(
        "DELETE FROM device; DELETE FROM prekeys; DELETE FROM prekey_alloc; DELETE FROM sessions;"
        " DELETE FROM identities; DELETE FROM sender_keys; DELETE FROM lid_map;");
  });
}

// --- prekeys ---------------------------------------------------------------------------------

StoreResult<std::optional<PreKey>> SqliteStore::get_prekey(std::uint32_t id) {
  Stmt st(db_, "SELECT pub, priv, uploaded FROM prekeys WHERE id = ?");
  if (!st.prepared()) return backend_error(db_, "get prekey");
  st.bind(1, std::int64_t{id});
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<PreKey>{};
  if (rc != SQLITE_ROW) return backend_error(db_, "get prekey");
  PreKey k{id, {}, st.int64(2) != 0};
  if (!st.fixed(0, k.key.pub) || !st.fixed(1, k.key.priv))
    return {StoreErrc::corrupt, "prekey of the wrong length"};
  return std::optional<PreKey>{k};
}

StoreResult<void> SqliteStore::add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) {
  if (!valid_prekey_id(next_id))
    return {StoreErrc::invalid_argument, "next prekey id out of range"};
  for (const auto& k : keys) {
    if (!valid_prekey_id(k.id)) return {StoreErrc::invalid_argument, "prekey id out of range"};
  }
  return transaction([&]() -> StoreResult<void> {
    for (const auto& k : keys) {
      Stmt st(db_, "INSERT OR REPLACE INTO prekeys(id, pub, priv, uploaded) VALUES(?, ?, ?, 0)");
      st.bind(1, std::int64_t{k.id})
          .bind_blob(2, span_of(k.key.pub))
          .bind_blob(3, span_of(k.key.priv));
      if (auto r = run(db_, st, "add prekey"); !r) return r;
    }
    Stmt st(db_, "INSERT OR REPLACE INTO prekey_alloc(singleton, next_id) VALUES(1, ?)");
    st.bind(1, std::int64_t{next_id});
    return run(db_, st, "set next prekey id");
  });
}

StoreResult<std::uint32_t> SqliteStore::next_prekey_id() {
  Stmt st(db_, "SELECT next_id FROM prekey_alloc WHERE singleton = 1");
  if (!st.prepared()) return backend_error(db_, "next prekey id");
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::uint32_t{1};
  if (rc != SQLITE_ROW) return backend_error(db_, "next prekey id");
  return static_cast<std::uint32_t>(st.int64(0));
}

StoreResult<std::vector<PreKey>> SqliteStore::unuploaded_prekeys(std::size_t limit) {
  Stmt st(db_, "SELECT id, pub, priv FROM prekeys WHERE uploaded = 0 ORDER BY id LIMIT ?");
  if (!st.prepared()) return backend_error(db_, "unuploaded prekeys");
  st.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<PreKey> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    PreKey k{static_cast<std::uint32_t>(st.int64(0)), {}, false};
    if (!st.fixed(1, k.key.pub) || !st.fixed(2, k.key.priv))
      return {StoreErrc::corrupt, "prekey of the wrong length"};
    out.push_back(k);
  }
  if (rc != SQLITE_DONE) return backend_error(db_, "unuploaded prekeys");
  return out;
}

StoreResult<void> SqliteStore::mark_prekeys_uploaded(std::span<const std::uint32_t> ids) {
  return transaction([&]() -> StoreResult<void> {
    for (auto id : ids) {
      Stmt st(db_, "UPDATE prekeys SET uploaded = 1 WHERE id = ?");
      st.bind(1, std::int64_t{id});
      if (auto r = run(db_, st, "mark prekey uploaded"); !r) return r;
    }
    return {};
  });
}

StoreResult<std::size_t> SqliteStore::uploaded_prekey_count() {
  Stmt st(db_, "SELECT count(*) FROM prekeys WHERE uploaded = 1");
  if (!st.prepared() || st.step() != SQLITE_ROW) return backend_error(db_, "count prekeys");
  return static_cast<std::size_t>(st.int64(0));
}

StoreResult<bool> SqliteStore::remove_prekey(std::uint32_t id) {
  Stmt st(db_, "DELETE FROM prekeys WHERE id = ?");
  st.bind(1, std::int64_t{id});
  if (auto r = run(db_, st, "remove prekey"); !r) return std::move(r).error();
  return sqlite3_changes(db_) > 0;
}

// --- sessions, identities, sender keys -------------------------------------------------------

namespace {
StoreResult<std::optional<Bytes>> get_blob(sqlite3* db, Stmt& st, const char* what) {
  if (!st.prepared()) return backend_error(db, what);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>{};
  if (rc != SQLITE_ROW) return backend_error(db, what);
  return std::optional<Bytes>{st.blob(0)};
}
StoreResult<std::size_t> changes(sqlite3* db, Stmt& st, const char* what) {
  if (auto r = run(db, st, what); !r) return std::move(r).error();
  return static_cast<std::size_t>(sqlite3_changes(db));
}
}  // namespace

StoreResult<std::optional<Bytes>> SqliteStore::get_session(const Address& a) {
  Stmt st(db_, "SELECT record FROM sessions WHERE name = ? AND device = ?");
  st.bind(1, a.name).bind(2, std::int64_t{a.device});
  return get_blob(db_, st, "get session");
}

StoreResult<void> SqliteStore::put_session(const Address& a, std::span<const std::uint8_t> record) {
  Stmt st(db_, "INSERT OR REPLACE INTO sessions(name, device, record) VALUES(?, ?, ?)");
  st.bind(1, a.name).bind(2, std::int64_t{a.device}).bind_blob(3, record);
  return run(db_, st, "put session");
}

StoreResult<bool> SqliteStore::delete_session(const Address& a) {
  Stmt st(db_, "DELETE FROM sessions WHERE name = ? AND device = ?");
  st.bind(1, a.name).bind(2, std::int64_t{a.device});
  auto n = changes(db_, st, "delete session");
  if (!n) return std::move(n).error();
  return *n > 0;
}

StoreResult<std::size_t> SqliteStore::delete_all_sessions(std::string_view name) {
  Stmt st(db_, "DELETE FROM sessions WHERE name = ?");
  st.bind(1, name);
  return changes(db_, st, "delete sessions");
}

StoreResult<std::vector<std::uint32_t>> SqliteStore::session_devices(std::string_view name) {
  Stmt st(db_, "SELECT device FROM sessions WHERE name = ? ORDER BY device");
  if (!st.prepared()) return backend_error(db_, "session devices");
  st.bind(1, name);
  std::vector<std::uint32_t> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(static_cast<std::uint32_t>(st.int64(0)));
  if (rc != SQLITE_DONE) return backend_error(db_, "session devices");
  return out;
}

StoreResult<std::optional<Key32>> SqliteStore::get_identity(const Address& a) {
  Stmt st(db_, "SELECT key FROM identities WHERE name = ? AND device = ?");
  if (!st.prepared()) return backend_error(db_, "get identity");
  st.bind(1, a.name).bind(2, std::int64_t{a.device});
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<Key32>{};
  if (rc != SQLITE_ROW) return backend_error(db_, "get identity");
  Key32 k{};
  if (!st.fixed(0, k)) return {StoreErrc::corrupt, "identity key of the wrong length"};
  return std::optional<Key32>{k};
}

StoreResult<void> SqliteStore::put_identity(const Address& a, const Key32& key) {
  Stmt st(db_, "INSERT OR REPLACE INTO identities(name, device, key) VALUES(?, ?, ?)");
  st.bind(1, a.name).bind(2, std::int64_t{a.device}).bind_blob(3, span_of(key));
  return run(db_, st, "put identity");
}

StoreResult<bool> SqliteStore::delete_identity(const Address& a) {
  Stmt st(db_, "DELETE FROM identities WHERE name = ? AND device = ?");
  st.bind(1, a.name).bind(2, std::int64_t{a.device});
  auto n = changes(db_, st, "delete identity");
  if (!n) return std::move(n).error();
  return *n > 0;
}

StoreResult<std::size_t> SqliteStore::delete_all_identities(std::string_view name) {
  Stmt st(db_, "DELETE FROM identities WHERE name = ?");
  st.bind(1, name);
  return changes(db_, st, "delete identities");
}

StoreResult<std::optional<Bytes>> SqliteStore::get_sender_key(const SenderKeyName& n) {
  Stmt st(db_, "SELECT record FROM sender_keys WHERE group_id = ? AND name = ? AND device = ?");
  st.bind(1, n.group).bind(2, n.sender.name).bind(3, std::int64_t{n.sender.device});
  return get_blob(db_, st, "get sender key");
}

StoreResult<void> SqliteStore::put_sender_key(const SenderKeyName& n,
                                              std::span<const std::uint8_t> record) {
  Stmt st(db_,
          "INSERT OR REPLACE INTO sender_keys(group_id, name, device, record) VALUES(?, ?, ?, ?)");
  st.bind(1, n.group)
      .bind(2, n.sender.name)
      .bind(3, std::int64_t{n.sender.device})
      .bind_blob(4, record);
  return run(db_, st, "put sender key");
}

StoreResult<bool> SqliteStore::delete_sender_key(const SenderKeyName& n) {
  Stmt st(db_, "DELETE FROM sender_keys WHERE group_id = ? AND name = ? AND device = ?");
  st.bind(1, n.group).bind(2, n.sender.name).bind(3, std::int64_t{n.sender.device});
  auto c = changes(db_, st, "delete sender key");
  if (!c) return std::move(c).error();
  return *c > 0;
}

// --- LID map ---------------------------------------------------------------------------------

StoreResult<void> SqliteStore::put_lid_mappings(std::span<const LidMapping> mappings) {
  for (const auto& m : mappings) {
    if (m.lid.empty() || m.pn.empty()) return {StoreErrc::invalid_argument, "empty LID or PN user"};
  }
  return transaction([&]() -> StoreResult<void> {
    for (const auto& m : mappings) {
      Stmt del(db_, "DELETE FROM lid_map WHERE lid = ? OR pn = ?");
      del.bind(1, m.lid).bind(2, m.pn);
      if (auto r = run(db_, del, "put LID mapping"); !r) return r;
      Stmt ins(db_, "INSERT INTO lid_map(lid, pn) VALUES(?, ?)");
      ins.bind(1, m.lid).bind(2, m.pn);
      if (auto r = run(db_, ins, "put LID mapping"); !r) return r;
    }
    return {};
  });
}

namespace {
StoreResult<std::optional<std::string>> get_text(sqlite3* db, Stmt& st, const char* what) {
  if (!st.prepared()) return backend_error(db, what);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>{};
  if (rc != SQLITE_ROW) return backend_error(db, what);
  return std::optional<std::string>{st.text(0)};
}
}  // namespace

StoreResult<std::optional<std::string>> SqliteStore::pn_for_lid(std::string_view lid_user) {
  Stmt st(db_, "SELECT pn FROM lid_map WHERE lid = ?");
  st.bind(1, lid_user);
  return get_text(db_, st, "PN for LID");
}

StoreResult<std::optional<std::string>> SqliteStore::lid_for_pn(std::string_view pn_user) {
  Stmt st(db_, "SELECT lid FROM lid_map WHERE pn = ?");
  st.bind(1, pn_user);
  return get_text(db_, st, "LID for PN");
}

}  // namespace wa::store
