#include "wa/store/memory_store.hpp"

#include <utility>

namespace wa::store {

namespace {
bool valid_prekey_id(std::uint32_t id) {
  return id >= 1 && id <= kMaxPreKeyId;
}
}  // namespace

// --- device ----------------------------------------------------------------------------------

StoreResult<std::optional<DeviceRecord>> MemoryStore::load_device() {
  return state_.device;
}

StoreResult<void> MemoryStore::save_device(const DeviceRecord& device) {
  state_.device = device;
  return {};
}

StoreResult<void> MemoryStore::wipe() {
  state_ = State{};
  return {};
}

StoreResult<void> MemoryStore::transaction(const std::function<StoreResult<void>()>& body) {
  State snapshot = state_;
  auto result = body();
  if (!result) state_ = std::move(snapshot);
  return result;
}

// --- prekeys ---------------------------------------------------------------------------------

StoreResult<std::optional<PreKey>> MemoryStore::get_prekey(std::uint32_t id) {
  auto it = state_.prekeys.find(id);
  if (it == state_.prekeys.end()) return std::optional<PreKey>{};
  return std::optional<PreKey>{it->second};
}

StoreResult<void> MemoryStore::add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) {
  if (!valid_prekey_id(next_id))
    return {StoreErrc::invalid_argument, "next prekey id out of range"};
  for (const auto& k : keys) {
    if (!valid_prekey_id(k.id)) return {StoreErrc::invalid_argument, "prekey id out of range"};
  }
  for (const auto& k : keys) state_.prekeys[k.id] = k;
  state_.next_prekey_id = next_id;
  return {};
}

StoreResult<std::uint32_t> MemoryStore::next_prekey_id() {
  return state_.next_prekey_id;
}

StoreResult<std::vector<PreKey>> MemoryStore::unuploaded_prekeys(std::size_t limit) {
  std::vector<PreKey> out;
  for (const auto& [id, key] : state_.prekeys) {
    if (out.size() >= limit) break;
    if (!key.uploaded) out.push_back(key);
  }
  return out;
}

StoreResult<void> MemoryStore::mark_prekeys_uploaded(std::span<const std::uint32_t> ids) {
  for (auto id : ids) {
    auto it = state_.prekeys.find(id);
    if (it != state_.prekeys.end()) it->second.uploaded = true;
  }
  return {};
}

StoreResult<std::size_t> MemoryStore::uploaded_prekey_count() {
  std::size_t n = 0;
  for (const auto& [id, key] : state_.prekeys) n += key.uploaded ? 1 : 0;
  return n;
}

StoreResult<bool> MemoryStore::remove_prekey(std::uint32_t id) {
  return state_.prekeys.erase(id) > 0;
}

// --- sessions --------------------------------------------------------------------------------

StoreResult<std::optional<Bytes>> MemoryStore::get_session(const Address& address) {
  auto it = state_.sessions.find(address);
  if (it == state_.sessions.end()) return std::optional<Bytes>{};
  return std::optional<Bytes>{it->second};
}

StoreResult<void> MemoryStore::put_session(const Address& address,
                                           std::span<const std::uint8_t> record) {
  state_.sessions[address].assign(record.begin(), record.end());  // reuses the old capacity
  return {};
}

StoreResult<bool> MemoryStore::delete_session(const Address& address) {
  return state_.sessions.erase(address) > 0;
}

StoreResult<std::size_t> MemoryStore::delete_all_sessions(std::string_view name) {
  return std::erase_if(state_.sessions, [&](const auto& kv) { return kv.first.name == name; });
}

StoreResult<std::vector<std::uint32_t>> MemoryStore::session_devices(std::string_view name) {
  std::vector<std::uint32_t> out;
  for (const auto& [addr, record] : state_.sessions) {
    if (addr.name == name) out.push_back(addr.device);  // map order = ascending device
  }
  return out;
}

// --- identities ------------------------------------------------------------------------------

StoreResult<std::optional<Key32>> MemoryStore::get_identity(const Address& address) {
  auto it = state_.identities.find(address);
  if (it == state_.identities.end()) return std::optional<Key32>{};
  return std::optional<Key32>{it->second};
}

StoreResult<void> MemoryStore::put_identity(const Address& address, const Key32& key) {
  state_.identities[address] = key;
  return {};
}

StoreResult<bool> MemoryStore::delete_identity(const Address& address) {
  return state_.identities.erase(address) > 0;
}

StoreResult<std::size_t> MemoryStore::delete_all_identities(std::string_view name) {
  return std::erase_if(state_.identities, [&](const auto& kv) { return kv.first.name == name; });
}

// --- sender keys -----------------------------------------------------------------------------

StoreResult<std::optional<Bytes>> MemoryStore::get_sender_key(const SenderKeyName& name) {
  auto it = state_.sender_keys.find(name);
  if (it == state_.sender_keys.end()) return std::optional<Bytes>{};
  return std::optional<Bytes>{it->second};
}

StoreResult<void> MemoryStore::put_sender_key(const SenderKeyName& name,
                                              std::span<const std::uint8_t> record) {
  state_.sender_keys[name] = Bytes(record.begin(), record.end());
  return {};
}

StoreResult<bool> MemoryStore::delete_sender_key(const SenderKeyName& name) {
  return state_.sender_keys.erase(name) > 0;
}

// --- LID map ---------------------------------------------------------------------------------

StoreResult<void> MemoryStore::put_lid_mappings(std::span<const LidMapping> mappings) {
  for (const auto& m : mappings) {
    if (m.lid.empty() || m.pn.empty()) return {StoreErrc::invalid_argument, "empty LID or PN user"};
  }
  for (const auto& m : mappings) {
    if (auto it = state_.lid_to_pn.find(m.lid); it != state_.lid_to_pn.end()) {
      state_.pn_to_lid.erase(it->second);
      state_.lid_to_pn.erase(it);
    }
    if (auto it = state_.pn_to_lid.find(m.pn); it != state_.pn_to_lid.end()) {
      state_.lid_to_pn.erase(it->second);
      state_.pn_to_lid.erase(it);
    }
    state_.lid_to_pn[m.lid] = m.pn;
    state_.pn_to_lid[m.pn] = m.lid;
  }
  return {};
}

StoreResult<std::optional<std::string>> MemoryStore::pn_for_lid(std::string_view lid_user) {
  auto it = state_.lid_to_pn.find(lid_user);
  if (it == state_.lid_to_pn.end()) return std::optional<std::string>{};
  return std::optional<std::string>{it->second};
}

StoreResult<std::optional<std::string>> MemoryStore::lid_for_pn(std::string_view pn_user) {
  auto it = state_.pn_to_lid.find(pn_user);
  if (it == state_.pn_to_lid.end()) return std::optional<std::string>{};
  return std::optional<std::string>{it->second};
}

}  // namespace wa::store
