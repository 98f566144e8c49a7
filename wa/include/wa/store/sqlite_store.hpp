#pragma once
// A durable DeviceStore in one SQLite file (one device per file), used by wa-tool. The gateway has
// its own SQL store (SQLite and PostgreSQL, many devices); the schema here is a reference for it.
// Besides the DeviceStore interface it keeps small text settings (`meta`) for the tool, e.g. the
// server URL and root key it paired against.
//
// Thread safety: none; one object is used from one strand. Two objects on the same file (two
// processes) are serialised by SQLite's locking with a busy timeout.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wa/store/device_store.hpp"

struct sqlite3;

namespace wa::store {

class SqliteStore final : public DeviceStore,
                          private PreKeyStore,
                          private SessionStore,
                          private IdentityStore,
                          private SenderKeyStore,
                          private LidMapStore {
 public:
  /// Opens (creating if needed) the store at `path`; ":memory:" gives a private in-memory database.
  static StoreResult<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  /// A tool setting (not part of DeviceStore; survives wipe()).
  StoreResult<std::optional<std::string>> get_meta(std::string_view key);
  StoreResult<void> set_meta(std::string_view key, std::string_view value);

  StoreResult<std::optional<DeviceRecord>> load_device() override;
  StoreResult<void> save_device(const DeviceRecord& device) override;
  StoreResult<void> wipe() override;
  StoreResult<void> transaction(const std::function<StoreResult<void>()>& body) override;

  PreKeyStore& prekeys() override { return *this; }
  SessionStore& sessions() override { return *this; }
  IdentityStore& identities() override { return *this; }
  SenderKeyStore& sender_keys() override { return *this; }
  LidMapStore& lid_map() override { return *this; }

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  StoreResult<void> migrate();
  StoreResult<void> exec(const char* sql);

  StoreResult<std::optional<PreKey>> get_prekey(std::uint32_t id) override;
  StoreResult<void> add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) override;
  StoreResult<std::uint32_t> next_prekey_id() override;
  StoreResult<std::vector<PreKey>> unuploaded_prekeys(std::size_t limit) override;
  StoreResult<void> mark_prekeys_uploaded(std::span<const std::uint32_t> ids) override;
  StoreResult<std::size_t> uploaded_prekey_count() override;
  StoreResult<bool> remove_prekey(std::uint32_t id) override;
  StoreResult<std::optional<Bytes>> get_session(const Address& address) override;
  StoreResult<void> put_session(const Address& address,
                                std::span<const std::uint8_t> record) override;
  StoreResult<bool> delete_session(const Address& address) override;
  StoreResult<std::size_t> delete_all_sessions(std::string_view name) override;
  StoreResult<std::vector<std::uint32_t>> session_devices(std::string_view name) override;
  StoreResult<std::optional<Key32>> get_identity(const Address& address) override;
  StoreResult<void> put_identity(const Address& address, const Key32& key) override;
  StoreResult<bool> delete_identity(const Address& address) override;
  StoreResult<std::size_t> delete_all_identities(std::string_view name) override;
  StoreResult<std::optional<Bytes>> get_sender_key(const SenderKeyName& name) override;
  StoreResult<void> put_sender_key(const SenderKeyName& name,
                                   std::span<const std::uint8_t> record) override;
  StoreResult<bool> delete_sender_key(const SenderKeyName& name) override;
  StoreResult<void> put_lid_mappings(std::span<const LidMapping> mappings) override;
  StoreResult<std::optional<std::string>> pn_for_lid(std::string_view lid_user) override;
  StoreResult<std::optional<std::string>> lid_for_pn(std::string_view pn_user) override;

  sqlite3* db_;
  unsigned savepoint_depth_ = 0;
};

}  // namespace wa::store
