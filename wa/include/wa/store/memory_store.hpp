#pragma once
// An in-memory DeviceStore, for unit tests and throwaway devices. Nothing survives the object.
// transaction() snapshots the whole state and restores it when the body fails.
// Thread safety: none; use from one strand (like every DeviceStore).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "wa/store/device_store.hpp"

namespace wa::store {

class MemoryStore final : public DeviceStore,
                          private PreKeyStore,
                          private SessionStore,
                          private IdentityStore,
                          private SenderKeyStore,
                          private LidMapStore {
 public:
  MemoryStore() = default;

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
  // PreKeyStore
  StoreResult<std::optional<PreKey>> get_prekey(std::uint32_t id) override;
  StoreResult<void> add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) override;
  StoreResult<std::uint32_t> next_prekey_id() override;
  StoreResult<std::vector<PreKey>> unuploaded_prekeys(std::size_t limit) override;
  StoreResult<void> mark_prekeys_uploaded(std::span<const std::uint32_t> ids) override;
  StoreResult<std::size_t> uploaded_prekey_count() override;
  StoreResult<bool> remove_prekey(std::uint32_t id) override;
  // SessionStore
  StoreResult<std::optional<Bytes>> get_session(const Address& address) override;
  StoreResult<void> put_session(const Address& address,
                                std::span<const std::uint8_t> record) override;
  StoreResult<bool> delete_session(const Address& address) override;
  StoreResult<std::size_t> delete_all_sessions(std::string_view name) override;
  StoreResult<std::vector<std::uint32_t>> session_devices(std::string_view name) override;
  // IdentityStore
  StoreResult<std::optional<Key32>> get_identity(const Address& address) override;
  StoreResult<void> put_identity(const Address& address, const Key32& key) override;
  StoreResult<bool> delete_identity(const Address& address) override;
  StoreResult<std::size_t> delete_all_identities(std::string_view name) override;
  // SenderKeyStore
  StoreResult<std::optional<Bytes>> get_sender_key(const SenderKeyName& name) override;
  StoreResult<void> put_sender_key(const SenderKeyName& name,
                                   std::span<const std::uint8_t> record) override;
  StoreResult<bool> delete_sender_key(const SenderKeyName& name) override;
  // LidMapStore
  StoreResult<void> put_lid_mappings(std::span<const LidMapping> mappings) override;
  StoreResult<std::optional<std::string>> pn_for_lid(std::string_view lid_user) override;
  StoreResult<std::optional<std::string>> lid_for_pn(std::string_view pn_user) override;

  struct State {
    std::optional<DeviceRecord> device;
    std::map<std::uint32_t, PreKey> prekeys;
    std::uint32_t next_prekey_id = 1;
    std::map<Address, Bytes> sessions;
    std::map<Address, Key32> identities;
    std::map<SenderKeyName, Bytes> sender_keys;
    std::map<std::string, std::string, std::less<>> lid_to_pn;
    std::map<std::string, std::string, std::less<>> pn_to_lid;
  };
  State state_;
};

}  // namespace wa::store
