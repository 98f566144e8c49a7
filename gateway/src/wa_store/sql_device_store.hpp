#pragma once
// The WhatsApp library's device store (wa::store::DeviceStore) over the gateway's data layer, on
// SQLite and PostgreSQL alike (migration 0003): one device per gateway session, rows deleted with
// the session. It passes the library's contract suite (gateway/tests/sql_device_store_test.cpp).
//
// Calls are blocking: the owner runs them off the HTTP I/O threads (a WhatsApp client's strand
// on its own executor). transaction() holds one pooled connection for the whole body; nested
// transactions become savepoints.
// Thread safety: one object is used from one strand at a time (as the library requires); many
// objects may share one Database.
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "db/database.hpp"
#include "wa/store/device_store.hpp"

namespace gw::wa_store {

class SqlDeviceStore final : public wa::store::DeviceStore,
                             private wa::store::PreKeyStore,
                             private wa::store::SessionStore,
                             private wa::store::IdentityStore,
                             private wa::store::SenderKeyStore,
                             private wa::store::LidMapStore {
 public:
  /// `session_id`: the gateway session (sessions.id) this device belongs to.
  SqlDeviceStore(db::Database& db, std::string session_id);

  wa::store::StoreResult<std::optional<wa::store::DeviceRecord>> load_device() override;
  wa::store::StoreResult<void> save_device(const wa::store::DeviceRecord& device) override;
  wa::store::StoreResult<void> wipe() override;
  wa::store::StoreResult<void> transaction(
      const std::function<wa::store::StoreResult<void>()>& body) override;

  /// Runs at the start of every write transaction, after BEGIN, on its connection, and throws
  /// (db::DbError) to refuse it. Cluster mode checks there that this process still holds the
  /// session's lease (docs/CLUSTER.md). Writes outside transaction() then run in one of their own.
  using Fence = std::function<void(db::Connection&)>;
  void set_fence(Fence fence) { fence_ = std::move(fence); }

  /// The connection of the transaction() running on this store, or nullptr outside one. Lets the
  /// owner write its own rows in the same transaction (the gateway stores a received message with
  /// the Signal state that decrypted it).
  [[nodiscard]] db::Connection* transaction_connection() const noexcept { return tx_; }
  /// The phone number of a LID user from the stored map (nullopt when unknown or on error).
  std::optional<std::string> phone_for_lid(std::string_view lid_user) {
    auto r = pn_for_lid(lid_user);
    if (!r) return std::nullopt;
    return *r;
  }

  wa::store::PreKeyStore& prekeys() override { return *this; }
  wa::store::SessionStore& sessions() override { return *this; }
  wa::store::IdentityStore& identities() override { return *this; }
  wa::store::SenderKeyStore& sender_keys() override { return *this; }
  wa::store::LidMapStore& lid_map() override { return *this; }

 private:
  // PreKeyStore
  wa::store::StoreResult<std::optional<wa::store::PreKey>> get_prekey(std::uint32_t id) override;
  wa::store::StoreResult<void> add_prekeys(std::span<const wa::store::PreKey> keys,
                                           std::uint32_t next_id) override;
  wa::store::StoreResult<std::uint32_t> next_prekey_id() override;
  wa::store::StoreResult<std::vector<wa::store::PreKey>> unuploaded_prekeys(
      std::size_t limit) override;
  wa::store::StoreResult<void> mark_prekeys_uploaded(std::span<const std::uint32_t> ids) override;
  wa::store::StoreResult<std::size_t> uploaded_prekey_count() override;
  wa::store::StoreResult<bool> remove_prekey(std::uint32_t id) override;
  // SessionStore
  wa::store::StoreResult<std::optional<wa::store::Bytes>> get_session(
      const wa::store::Address& a) override;
  wa::store::StoreResult<void> put_session(const wa::store::Address& a,
                                           std::span<const std::uint8_t> record) override;
  wa::store::StoreResult<bool> delete_session(const wa::store::Address& a) override;
  wa::store::StoreResult<std::size_t> delete_all_sessions(std::string_view name) override;
  wa::store::StoreResult<std::vector<std::uint32_t>> session_devices(
      std::string_view name) override;
  // IdentityStore
  wa::store::StoreResult<std::optional<wa::store::Key32>> get_identity(
      const wa::store::Address& a) override;
  wa::store::StoreResult<void> put_identity(const wa::store::Address& a,
                                            const wa::store::Key32& key) override;
  wa::store::StoreResult<bool> delete_identity(const wa::store::Address& a) override;
  wa::store::StoreResult<std::size_t> delete_all_identities(std::string_view name) override;
  // SenderKeyStore
  wa::store::StoreResult<std::optional<wa::store::Bytes>> get_sender_key(
      const wa::store::SenderKeyName& n) override;
  wa::store::StoreResult<void> put_sender_key(const wa::store::SenderKeyName& n,
                                              std::span<const std::uint8_t> record) override;
  wa::store::StoreResult<bool> delete_sender_key(const wa::store::SenderKeyName& n) override;
  // LidMapStore
  wa::store::StoreResult<void> put_lid_mappings(
      std::span<const wa::store::LidMapping> mappings) override;
  wa::store::StoreResult<std::optional<std::string>> pn_for_lid(std::string_view lid) override;
  wa::store::StoreResult<std::optional<std::string>> lid_for_pn(std::string_view pn) override;

  /// Runs `f(Connection&)` on the open transaction's connection, or on a pooled one; database
  /// exceptions become StoreError{backend}.
  template <typename T, typename F>
  wa::store::StoreResult<T> run(F&& f);
  /// run() for a statement that writes: fenced (set_fence) when outside a transaction.
  template <typename T, typename F>
  wa::store::StoreResult<T> write(F&& f);

  // The LID map as committed, as far as this store has read or written it: the library states
  // the sender's pair with every message, and a pair already known costs no statement then.
  bool lid_known(const wa::store::LidMapping& m) const;
  void lid_remember(const wa::store::LidMapping& m);
  void lid_forget();  // nothing known
  void lid_savepoint_undone();
  void lid_transaction_ended(bool committed);

  db::Database& db_;
  std::string session_id_;
  db::Connection* tx_ = nullptr;  // set while transaction() runs
  unsigned depth_ = 0;            // nesting level of transaction()
  Fence fence_;
  std::unordered_map<std::string, std::string> pn_of_lid_, lid_of_pn_;
  // Written in the open transaction: cached once it commits. While it runs the map may differ
  // from the cache, which is then not read.
  std::vector<wa::store::LidMapping> lid_pending_;
  bool lid_dirty_ = false;
};

}  // namespace gw::wa_store
