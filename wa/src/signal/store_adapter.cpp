// libsignal store callbacks → DeviceStore. Return conventions are libsignal's (see
// signal_protocol.h): 1/0 for found/not found, SG_ERR_INVALID_KEY_ID for a missing prekey, and
// kStoreFailure (with the StoreError kept in the adapter) when our store fails.
#include "signal/store_adapter.hpp"

#include <signal/session_pre_key.h>

#include <cstring>
#include <string>

#include "signal/context.hpp"

namespace wa::signal::detail {

namespace {

StoreAdapter& A(void* user_data) {
  return *static_cast<StoreAdapter*>(user_data);
}

int fail(StoreAdapter& a, store::StoreError e) {
  a.last_error = std::move(e);
  return kStoreFailure;
}

bool to_address(const signal_protocol_address* in, store::Address& out) {
  if (!in || (!in->name && in->name_len) || in->device_id < 0) return false;
  out.name.assign(in->name ? in->name : "", in->name_len);
  out.device = static_cast<std::uint32_t>(in->device_id);
  return true;
}

int give(signal_buffer** out, std::span<const std::uint8_t> bytes) {
  static const std::uint8_t kNothing = 0;
  signal_buffer* b = signal_buffer_create(bytes.empty() ? &kNothing : bytes.data(), bytes.size());
  if (!b) return SG_ERR_NOMEM;
  *out = b;
  return SG_SUCCESS;
}

void destroy_nothing(void*) {}

// --- sessions --------------------------------------------------------------------------------

int load_session(signal_buffer** record, signal_buffer** /*user_record*/,
                 const signal_protocol_address* address, void* ud) {
  auto& a = A(ud);
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  auto r = a.store.sessions().get_session(addr);
  if (!r) return fail(a, r.error());
  if (!r->has_value()) return 0;
  if (int rc = give(record, **r); rc < 0) return rc;
  return 1;
}

int get_sub_device_sessions(signal_int_list** sessions, const char* name, size_t name_len,
                            void* ud) {
  auto& a = A(ud);
  auto r = a.store.sessions().session_devices(std::string_view(name ? name : "", name_len));
  if (!r) return fail(a, r.error());
  IntList list(signal_int_list_alloc());
  if (!list) return SG_ERR_NOMEM;
  for (auto dev : *r) {
    if (signal_int_list_push_back(list.get(), static_cast<int>(dev)) < 0) return SG_ERR_NOMEM;
  }
  *sessions = list.release();
  return static_cast<int>(r->size());
}

int store_session(const signal_protocol_address* address, uint8_t* record, size_t record_len,
                  uint8_t*, size_t, void* ud) {
  auto& a = A(ud);
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  auto r = a.store.sessions().put_session(addr, {record, record_len});
  return r ? SG_SUCCESS : fail(a, r.error());
}

int contains_session(const signal_protocol_address* address, void* ud) {
  auto& a = A(ud);
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  auto r = a.store.sessions().get_session(addr);
  if (!r) return fail(a, r.error());
  return r->has_value() ? 1 : 0;
}

int delete_session(const signal_protocol_address* address, void* ud) {
  auto& a = A(ud);
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  auto r = a.store.sessions().delete_session(addr);
  if (!r) return fail(a, r.error());
  return *r ? 1 : 0;
}

int delete_all_sessions(const char* name, size_t name_len, void* ud) {
  auto& a = A(ud);
  auto r = a.store.sessions().delete_all_sessions(std::string_view(name ? name : "", name_len));
  if (!r) return fail(a, r.error());
  return static_cast<int>(*r);
}

// --- one-time prekeys ------------------------------------------------------------------------

int load_pre_key(signal_buffer** record, uint32_t id, void* ud) {
  auto& a = A(ud);
  auto r = a.store.prekeys().get_prekey(id);
  if (!r) return fail(a, r.error());
  if (!r->has_value()) return SG_ERR_INVALID_KEY_ID;
  auto kp = decode_key_pair((*r)->key, a.ctx);
  if (!kp) return SG_ERR_INVALID_KEY;
  Ref<session_pre_key> pk;
  if (int rc = session_pre_key_create(pk.out(), id, kp->get()); rc < 0) return rc;
  return session_pre_key_serialize(record, pk.get());
}

int store_pre_key(uint32_t id, uint8_t* record, size_t record_len, void* ud) {
  // Only libsignal's own key helpers would call this; we generate keys ourselves (keys.hpp).
  auto& a = A(ud);
  Ref<session_pre_key> pk;
  if (int rc = session_pre_key_deserialize(pk.out(), record, record_len, a.ctx); rc < 0) return rc;
  const ec_key_pair* kp = session_pre_key_get_key_pair(pk.get());
  auto pub = encode_public(ec_key_pair_get_public(kp));
  auto priv = encode_private(ec_key_pair_get_private(kp));
  if (!pub || !priv) return SG_ERR_INVALID_KEY;
  auto next = a.store.prekeys().next_prekey_id();
  if (!next) return fail(a, next.error());
  const store::PreKey key{id, {*pub, *priv}, false};
  auto r = a.store.prekeys().add_prekeys({&key, 1}, *next);
  return r ? SG_SUCCESS : fail(a, r.error());
}

int contains_pre_key(uint32_t id, void* ud) {
  auto& a = A(ud);
  auto r = a.store.prekeys().get_prekey(id);
  if (!r) return fail(a, r.error());
  return r->has_value() ? 1 : 0;
}

int remove_pre_key(uint32_t id, void* ud) {
  auto& a = A(ud);
  auto r = a.store.prekeys().remove_prekey(id);
  return r ? SG_SUCCESS : fail(a, r.error());
}

// --- signed prekey (the one in the device record) ---------------------------------------------

store::StoreResult<store::DeviceRecord> device(StoreAdapter& a) {
  auto r = a.store.load_device();
  if (!r) return std::move(r).error();
  if (!r->has_value()) return store::StoreError{store::StoreErrc::no_device, "no device record"};
  return std::move(**r);
}

int load_signed_pre_key(signal_buffer** record, uint32_t id, void* ud) {
  auto& a = A(ud);
  auto d = device(a);
  if (!d) return fail(a, d.error());
  const auto& spk = d->signed_prekey;
  if (spk.id != id) return SG_ERR_INVALID_KEY_ID;
  auto kp = decode_key_pair(spk.key, a.ctx);
  if (!kp) return SG_ERR_INVALID_KEY;
  Ref<session_signed_pre_key> out;
  if (int rc = session_signed_pre_key_create(out.out(), id, 0, kp->get(), spk.signature.data(),
                                             spk.signature.size());
      rc < 0) {
    return rc;
  }
  return session_signed_pre_key_serialize(record, out.get());
}

int store_signed_pre_key(uint32_t id, uint8_t* record, size_t record_len, void* ud) {
  auto& a = A(ud);
  Ref<session_signed_pre_key> spk;
  if (int rc = session_signed_pre_key_deserialize(spk.out(), record, record_len, a.ctx); rc < 0)
    return rc;
  if (session_signed_pre_key_get_signature_len(spk.get()) != 64) return SG_ERR_INVALID_KEY;
  const ec_key_pair* kp = session_signed_pre_key_get_key_pair(spk.get());
  auto pub = encode_public(ec_key_pair_get_public(kp));
  auto priv = encode_private(ec_key_pair_get_private(kp));
  if (!pub || !priv) return SG_ERR_INVALID_KEY;
  auto d = device(a);
  if (!d) return fail(a, d.error());
  d->signed_prekey.id = id;
  d->signed_prekey.key = {*pub, *priv};
  std::memcpy(d->signed_prekey.signature.data(), session_signed_pre_key_get_signature(spk.get()),
              64);
  auto r = a.store.save_device(*d);
  return r ? SG_SUCCESS : fail(a, r.error());
}

int contains_signed_pre_key(uint32_t id, void* ud) {
  auto& a = A(ud);
  auto d = device(a);
  if (!d) return d.code() == store::StoreErrc::no_device ? 0 : fail(a, d.error());
  return d->signed_prekey.id == id ? 1 : 0;
}

int remove_signed_pre_key(uint32_t, void*) {
  return SG_SUCCESS;  // the device record always keeps its current signed prekey
}

// --- identities ------------------------------------------------------------------------------

int get_identity_key_pair(signal_buffer** public_data, signal_buffer** private_data, void* ud) {
  auto& a = A(ud);
  auto d = device(a);
  if (!d) return fail(a, d.error());
  std::uint8_t pub[33];
  pub[0] = 0x05;
  std::memcpy(pub + 1, d->identity_key.pub.data(), 32);
  if (int rc = give(public_data, pub); rc < 0) return rc;
  if (int rc = give(private_data, d->identity_key.priv); rc < 0) {
    signal_buffer_free(*public_data);
    *public_data = nullptr;
    return rc;
  }
  return SG_SUCCESS;
}

int get_local_registration_id(void* ud, uint32_t* registration_id) {
  auto& a = A(ud);
  auto d = device(a);
  if (!d) return fail(a, d.error());
  *registration_id = d->registration_id;
  return SG_SUCCESS;
}

int save_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                  void* ud) {
  auto& a = A(ud);
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  if (!key_data) {
    auto r = a.store.identities().delete_identity(addr);
    return r ? SG_SUCCESS : fail(a, r.error());
  }
  store::Key32 key{};
  if (!raw_public_from_serialized({key_data, key_len}, key)) return SG_ERR_INVALID_KEY;
  auto r = a.store.identities().put_identity(addr, key);
  return r ? SG_SUCCESS : fail(a, r.error());
}

int is_trusted_identity(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                        void* ud) {
  auto& a = A(ud);
  if (a.trust == TrustPolicy::always) return 1;  // WhatsApp: identity changes come as notifications
  store::Address addr;
  if (!to_address(address, addr)) return SG_ERR_INVAL;
  store::Key32 key{};
  if (!raw_public_from_serialized({key_data, key_len}, key)) return SG_ERR_INVALID_KEY;
  auto r = a.store.identities().get_identity(addr);
  if (!r) return fail(a, r.error());
  return (!r->has_value() || **r == key) ? 1 : 0;
}

// --- sender keys -----------------------------------------------------------------------------

bool to_sender_key_name(const signal_protocol_sender_key_name* in, store::SenderKeyName& out) {
  if (!in || (!in->group_id && in->group_id_len)) return false;
  out.group.assign(in->group_id ? in->group_id : "", in->group_id_len);
  return to_address(&in->sender, out.sender);
}

int store_sender_key(const signal_protocol_sender_key_name* name, uint8_t* record,
                     size_t record_len, uint8_t*, size_t, void* ud) {
  auto& a = A(ud);
  store::SenderKeyName n;
  if (!to_sender_key_name(name, n)) return SG_ERR_INVAL;
  auto r = a.store.sender_keys().put_sender_key(n, {record, record_len});
  return r ? SG_SUCCESS : fail(a, r.error());
}

int load_sender_key(signal_buffer** record, signal_buffer** /*user_record*/,
                    const signal_protocol_sender_key_name* name, void* ud) {
  auto& a = A(ud);
  store::SenderKeyName n;
  if (!to_sender_key_name(name, n)) return SG_ERR_INVAL;
  auto r = a.store.sender_keys().get_sender_key(n);
  if (!r) return fail(a, r.error());
  if (!r->has_value()) return 0;
  if (int rc = give(record, **r); rc < 0) return rc;
  return 1;
}

}  // namespace

SignalResult<StoreContext> bind_store(StoreAdapter& adapter) {
  signal_protocol_store_context* raw = nullptr;
  if (int rc = signal_protocol_store_context_create(&raw, adapter.ctx); rc < 0) {
    return error_from(rc, "signal_protocol_store_context_create");
  }
  StoreContext sc(raw);
  void* ud = &adapter;

  const signal_protocol_session_store sessions = {
      load_session,   get_sub_device_sessions, store_session,   contains_session,
      delete_session, delete_all_sessions,     destroy_nothing, ud};
  const signal_protocol_pre_key_store prekeys = {load_pre_key,   store_pre_key,   contains_pre_key,
                                                 remove_pre_key, destroy_nothing, ud};
  const signal_protocol_signed_pre_key_store signed_prekeys = {
      load_signed_pre_key,   store_signed_pre_key, contains_signed_pre_key,
      remove_signed_pre_key, destroy_nothing,      ud};
  const signal_protocol_identity_key_store identities = {
      get_identity_key_pair, get_local_registration_id, save_identity,
      is_trusted_identity,   destroy_nothing,           ud};
  const signal_protocol_sender_key_store sender_keys = {store_sender_key, load_sender_key,
                                                        destroy_nothing, ud};

  int rc = signal_protocol_store_context_set_session_store(raw, &sessions);
  if (rc >= 0) rc = signal_protocol_store_context_set_pre_key_store(raw, &prekeys);
  if (rc >= 0) rc = signal_protocol_store_context_set_signed_pre_key_store(raw, &signed_prekeys);
  if (rc >= 0) rc = signal_protocol_store_context_set_identity_key_store(raw, &identities);
  if (rc >= 0) rc = signal_protocol_store_context_set_sender_key_store(raw, &sender_keys);
  if (rc < 0) return error_from(rc, "signal_protocol_store_context_set_*");
  return sc;
}

}  // namespace wa::signal::detail
