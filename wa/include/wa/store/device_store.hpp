#pragma once
// The device store: what one companion device must remember across restarts (docs/PROTOCOL.md §4,
// §5, §10). One abstract DeviceStore per device, with the device record and five narrow sub-stores
// (one-time prekeys, Signal sessions, peer identities, sender keys, LID↔PN map).
//
// Implementations: MemoryStore (unit tests), SqliteStore (wa-tool, one device per file), and the
// gateway's SQL store. Every implementation must pass the contract suite in
// wa/tests/store/store_contract.hpp. All values are blobs, integers and strings (types.hpp).
//
// Errors are values (StoreResult); "not found" is an empty optional, never an error.
//
// Thread safety: none required. One client's store is used from that client's strand only, so
// implementations need no locking for it; a backend shared between devices (one SQL pool) must be
// safe for concurrent use by different DeviceStore objects.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wa/store/error.hpp"
#include "wa/store/types.hpp"

namespace wa::store {

/// Our one-time prekeys (§5.1). Ids are 1..kMaxPreKeyId; the allocator state (`next id`) lives
/// here so that adding keys and advancing it is one atomic step.
class PreKeyStore {
 public:
  /// The key with this id, uploaded or not.
  virtual StoreResult<std::optional<PreKey>> get_prekey(std::uint32_t id) = 0;
  /// Stores freshly generated keys and sets the allocator to `next_id`, atomically. A key whose
  /// id already exists replaces it. Ids must be in 1..kMaxPreKeyId (else invalid_argument).
  virtual StoreResult<void> add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) = 0;
  /// The id the next generated key gets: 1 on a fresh store, else the last add_prekeys' next_id.
  virtual StoreResult<std::uint32_t> next_prekey_id() = 0;
  /// Up to `limit` keys not yet uploaded, ascending by id.
  virtual StoreResult<std::vector<PreKey>> unuploaded_prekeys(std::size_t limit) = 0;
  /// Marks these keys uploaded (unknown ids are ignored).
  virtual StoreResult<void> mark_prekeys_uploaded(std::span<const std::uint32_t> ids) = 0;
  /// How many stored keys are marked uploaded.
  virtual StoreResult<std::size_t> uploaded_prekey_count() = 0;
  /// Deletes a key (it was consumed by an incoming pkmsg). True when it existed.
  virtual StoreResult<bool> remove_prekey(std::uint32_t id) = 0;

 protected:
  ~PreKeyStore() = default;
};

/// Serialized Signal session records (opaque bytes of the Signal library) per remote device.
class SessionStore {
 public:
  virtual StoreResult<std::optional<Bytes>> get_session(const Address& address) = 0;
  /// Inserts or replaces.
  virtual StoreResult<void> put_session(const Address& address,
                                        std::span<const std::uint8_t> record) = 0;
  /// True when a record existed.
  virtual StoreResult<bool> delete_session(const Address& address) = 0;
  /// Deletes the sessions of every device of `name`; returns how many were deleted.
  virtual StoreResult<std::size_t> delete_all_sessions(std::string_view name) = 0;
  /// Device ids of `name` that have a session, ascending.
  virtual StoreResult<std::vector<std::uint32_t>> session_devices(std::string_view name) = 0;

 protected:
  ~SessionStore() = default;
};

/// Identity keys of peers (32 bytes raw) per remote device. WhatsApp trusts every identity (§10.2)
/// and announces changes by notification; the trust decision is made by the Signal layer
/// (wa::signal::TrustPolicy), this store only remembers the last seen key.
class IdentityStore {
 public:
  virtual StoreResult<std::optional<Key32>> get_identity(const Address& address) = 0;
  /// Inserts or replaces.
  virtual StoreResult<void> put_identity(const Address& address, const Key32& key) = 0;
  virtual StoreResult<bool> delete_identity(const Address& address) = 0;
  /// Deletes the identities of every device of `name` (identity-change notification, §5.1).
  virtual StoreResult<std::size_t> delete_all_identities(std::string_view name) = 0;

 protected:
  ~IdentityStore() = default;
};

/// Serialized sender-key records (opaque bytes of the Signal library) per group and sender device.
class SenderKeyStore {
 public:
  virtual StoreResult<std::optional<Bytes>> get_sender_key(const SenderKeyName& name) = 0;
  /// Inserts or replaces.
  virtual StoreResult<void> put_sender_key(const SenderKeyName& name,
                                           std::span<const std::uint8_t> record) = 0;
  virtual StoreResult<bool> delete_sender_key(const SenderKeyName& name) = 0;

 protected:
  ~SenderKeyStore() = default;
};

/// The LID ↔ phone-number map (users, no devices). Each LID maps to at most one PN and back: a new
/// pair replaces any older pair that shares its LID or its PN.
class LidMapStore {
 public:
  /// Stores all pairs atomically, in order (a later pair wins over an earlier conflicting one).
  virtual StoreResult<void> put_lid_mappings(std::span<const LidMapping> mappings) = 0;
  virtual StoreResult<std::optional<std::string>> pn_for_lid(std::string_view lid_user) = 0;
  virtual StoreResult<std::optional<std::string>> lid_for_pn(std::string_view pn_user) = 0;

 protected:
  ~LidMapStore() = default;
};

/// One device's store: the device record and its sub-stores.
class DeviceStore {
 public:
  virtual ~DeviceStore() = default;

  /// The saved device record, or empty when none was saved (or after wipe()).
  virtual StoreResult<std::optional<DeviceRecord>> load_device() = 0;
  /// Inserts or replaces the device record.
  virtual StoreResult<void> save_device(const DeviceRecord& device) = 0;
  /// Deletes the device record and every sub-store's data (logout, device removed, §9).
  virtual StoreResult<void> wipe() = 0;

  /// Runs `body`; every store call it makes is committed together when it returns success and
  /// rolled back when it returns an error (which is then returned). Used so that pairing and
  /// Signal decryption never leave the store half-written. Nesting is allowed (inner calls join the
  /// outer transaction or use savepoints). `body` must not retain references beyond the call.
  virtual StoreResult<void> transaction(const std::function<StoreResult<void>()>& body) = 0;

  virtual PreKeyStore& prekeys() = 0;
  virtual SessionStore& sessions() = 0;
  virtual IdentityStore& identities() = 0;
  virtual SenderKeyStore& sender_keys() = 0;
  virtual LidMapStore& lid_map() = 0;
};

}  // namespace wa::store
