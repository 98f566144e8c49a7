// Signal sessions and sender keys over libsignal-protocol-c (docs/PROTOCOL.md §6.2, §7, §10).
#include "wa/signal/protocol.hpp"

#include <signal/protocol.h>
#include <signal/session_pre_key.h>

#include <limits>
#include <string>

#include "signal/context.hpp"
#include "signal/store_adapter.hpp"

namespace wa::signal {

using namespace detail;

std::string_view to_string(MessageType t) noexcept {
  switch (t) {
    case MessageType::pkmsg:
      return "pkmsg";
    case MessageType::msg:
      return "msg";
    case MessageType::skmsg:
      return "skmsg";
  }
  return "msg";
}

std::optional<MessageType> parse_message_type(std::string_view s) noexcept {
  if (s == "pkmsg") return MessageType::pkmsg;
  if (s == "msg") return MessageType::msg;
  if (s == "skmsg") return MessageType::skmsg;
  return std::nullopt;
}

store::Address signal_address(const Jid& jid) {
  namespace srv = constants::server;
  namespace dom = constants::domain;
  int domain = dom::kWhatsApp;
  if (jid.server == srv::kLid)
    domain = dom::kLid;
  else if (jid.server == srv::kHosted)
    domain = dom::kHosted;
  else if (jid.server == srv::kHostedLid)
    domain = dom::kHostedLid;
  std::string name = jid.user;
  if (domain != dom::kWhatsApp) name += "_" + std::to_string(domain);
  return {std::move(name), jid.device_or_zero()};
}

namespace {

/// A libsignal address viewing `a` (which must outlive it; ciphers keep the pointer).
struct AddressView {
  explicit AddressView(const store::Address& a)
      : raw{a.name.data(), a.name.size(), static_cast<std::int32_t>(a.device)} {}
  signal_protocol_address raw;
};

struct SenderKeyNameView {
  explicit SenderKeyNameView(const store::SenderKeyName& n)
      : raw{n.group.data(),
            n.group.size(),
            {n.sender.name.data(), n.sender.name.size(),
             static_cast<std::int32_t>(n.sender.device)}} {}
  signal_protocol_sender_key_name raw;
};

bool valid_device(std::uint32_t device) {
  return device <= static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
}

store::Bytes copy(std::span<const std::uint8_t> v) {
  return {v.begin(), v.end()};
}

const std::uint8_t* data_or_empty(std::span<const std::uint8_t> v) {
  static const std::uint8_t kNothing = 0;
  return v.empty() ? &kNothing : v.data();
}

}  // namespace

struct SignalProtocol::Impl {
  Impl(store::DeviceStore& s, TrustPolicy trust, Context c)
      : ctx(std::move(c)), adapter{s, trust, ctx.get(), std::nullopt} {}

  Context ctx;
  StoreAdapter adapter;
  StoreContext store_ctx;

  /// A libsignal failure, enriched with the store error behind it when there was one.
  SignalError fail(int rc, const char* what) {
    SignalError e = error_from(rc, what);
    if (adapter.last_error) {
      if (adapter.last_error->code == store::StoreErrc::no_device)
        e.code = SignalErrc::no_device;
      else if (rc == kStoreFailure)
        e.code = SignalErrc::store;
      e.detail += ": " + adapter.last_error->message();
    }
    return e;
  }

  /// A failure to parse untrusted bytes: libsignal reports short input as SG_ERR_INVAL.
  SignalError fail_parse(int rc, const char* what) {
    SignalError e = fail(rc, what);
    if (rc == SG_ERR_INVAL) e.code = SignalErrc::invalid_message;
    return e;
  }

  /// Runs `f` in one store transaction; rolled back unless it succeeds.
  template <class T, class F>
  SignalResult<T> atomically(F&& f) {
    std::optional<SignalResult<T>> out;
    auto tx = adapter.store.transaction([&]() -> store::StoreResult<void> {
      adapter.last_error.reset();
      out.emplace(f());
      if (out->ok()) return {};
      return store::StoreError{store::StoreErrc::backend, "rolled back: " + out->error().message()};
    });
    if (out && !out->ok()) return std::move(*out);
    if (!tx) return SignalError{SignalErrc::store, tx.error().message()};
    return std::move(*out);
  }
};

SignalProtocol::SignalProtocol(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignalProtocol::~SignalProtocol() = default;

SignalResult<std::unique_ptr<SignalProtocol>> SignalProtocol::create(store::DeviceStore& store,
                                                                     TrustPolicy trust) {
  auto ctx = make_context();
  if (!ctx) return std::move(ctx).error();
  auto impl = std::make_unique<Impl>(store, trust, std::move(*ctx));
  auto sc = bind_store(impl->adapter);  // the adapter's address is stable from here on
  if (!sc) return std::move(sc).error();
  impl->store_ctx = std::move(*sc);
  return std::unique_ptr<SignalProtocol>(new SignalProtocol(std::move(impl)));
}

SignalResult<void> SignalProtocol::process_bundle(const store::Address& peer,
                                                  const PreKeyBundle& b) {
  if (!valid_device(peer.device) || !valid_device(b.device_id))
    return {SignalErrc::invalid_argument, "device id"};
  auto& im = *impl_;
  auto identity = decode_public(b.identity_key, im.ctx.get());
  auto spk = decode_public(b.signed_prekey, im.ctx.get());
  if (!identity || !spk) return {SignalErrc::invalid_key, "bundle key"};
  Ref<ec_public_key> otk;
  if (b.prekey_id) {
    auto k = decode_public(b.prekey, im.ctx.get());
    if (!k) return std::move(k).error();
    otk = std::move(*k);
  }
  Ref<session_pre_key_bundle> bundle;
  if (int rc = session_pre_key_bundle_create(
          bundle.out(), b.registration_id, static_cast<int>(b.device_id), b.prekey_id.value_or(0),
          otk.get(), b.signed_prekey_id, spk->get(), b.signed_prekey_signature.data(),
          b.signed_prekey_signature.size(), identity->get());
      rc < 0) {
    return im.fail(rc, "session_pre_key_bundle_create");
  }
  auto r = im.atomically<bool>([&]() -> SignalResult<bool> {
    AddressView addr(peer);
    session_builder* raw = nullptr;
    if (int rc = session_builder_create(&raw, im.store_ctx.get(), &addr.raw, im.ctx.get());
        rc < 0) {
      return im.fail(rc, "session_builder_create");
    }
    SessionBuilder builder(raw);
    if (int rc = session_builder_process_pre_key_bundle(builder.get(), bundle.get()); rc < 0) {
      return im.fail(rc, "session_builder_process_pre_key_bundle");
    }
    return true;
  });
  if (!r) return std::move(r).error();
  return {};
}

SignalResult<bool> SignalProtocol::has_session(const store::Address& peer) {
  auto r = impl_->adapter.store.sessions().get_session(peer);
  if (!r) return SignalError{SignalErrc::store, r.error().message()};
  return r->has_value();
}

SignalResult<Ciphertext> SignalProtocol::encrypt(const store::Address& peer,
                                                 std::span<const std::uint8_t> plaintext) {
  if (!valid_device(peer.device)) return {SignalErrc::invalid_argument, "device id"};
  auto has = has_session(peer);
  if (!has) return std::move(has).error();
  if (!*has) return {SignalErrc::no_session, peer.to_string()};
  auto& im = *impl_;
  return im.atomically<Ciphertext>([&]() -> SignalResult<Ciphertext> {
    AddressView addr(peer);
    session_cipher* raw = nullptr;
    if (int rc = session_cipher_create(&raw, im.store_ctx.get(), &addr.raw, im.ctx.get()); rc < 0) {
      return im.fail(rc, "session_cipher_create");
    }
    SessionCipher cipher(raw);
    Ref<ciphertext_message> msg;
    if (int rc = session_cipher_encrypt(cipher.get(), data_or_empty(plaintext), plaintext.size(),
                                        msg.out());
        rc < 0) {
      return im.fail(rc, "session_cipher_encrypt");
    }
    const int type = ciphertext_message_get_type(msg.get());
    Ciphertext out;
    out.type = type == CIPHERTEXT_PREKEY_TYPE ? MessageType::pkmsg : MessageType::msg;
    out.data = copy(view(ciphertext_message_get_serialized(msg.get())));
    return out;
  });
}

SignalResult<store::Bytes> SignalProtocol::decrypt(const store::Address& peer, MessageType type,
                                                   std::span<const std::uint8_t> ciphertext) {
  if (!valid_device(peer.device)) return {SignalErrc::invalid_argument, "device id"};
  if (type == MessageType::skmsg)
    return {SignalErrc::invalid_argument, "skmsg needs group_decrypt"};
  auto& im = *impl_;
  return im.atomically<store::Bytes>([&]() -> SignalResult<store::Bytes> {
    AddressView addr(peer);
    session_cipher* raw = nullptr;
    if (int rc = session_cipher_create(&raw, im.store_ctx.get(), &addr.raw, im.ctx.get()); rc < 0) {
      return im.fail(rc, "session_cipher_create");
    }
    SessionCipher cipher(raw);
    signal_buffer* plain = nullptr;
    if (type == MessageType::pkmsg) {
      Ref<pre_key_signal_message> msg;
      if (int rc = pre_key_signal_message_deserialize(msg.out(), data_or_empty(ciphertext),
                                                      ciphertext.size(), im.ctx.get());
          rc < 0) {
        return im.fail_parse(rc, "pre_key_signal_message_deserialize");
      }
      if (int rc = session_cipher_decrypt_pre_key_signal_message(cipher.get(), msg.get(), nullptr,
                                                                 &plain);
          rc < 0) {
        return im.fail(rc, "session_cipher_decrypt_pre_key_signal_message");
      }
    } else {
      Ref<signal_message> msg;
      if (int rc = signal_message_deserialize(msg.out(), data_or_empty(ciphertext),
                                              ciphertext.size(), im.ctx.get());
          rc < 0) {
        return im.fail_parse(rc, "signal_message_deserialize");
      }
      if (int rc = session_cipher_decrypt_signal_message(cipher.get(), msg.get(), nullptr, &plain);
          rc < 0) {
        return im.fail(rc, "session_cipher_decrypt_signal_message");
      }
    }
    Buffer owned(plain);
    return copy(view(owned.get()));
  });
}

SignalResult<store::Bytes> SignalProtocol::sender_key_distribution(
    const store::SenderKeyName& self) {
  if (!valid_device(self.sender.device)) return {SignalErrc::invalid_argument, "device id"};
  auto& im = *impl_;
  return im.atomically<store::Bytes>([&]() -> SignalResult<store::Bytes> {
    SenderKeyNameView name(self);
    group_session_builder* raw = nullptr;
    if (int rc = group_session_builder_create(&raw, im.store_ctx.get(), im.ctx.get()); rc < 0) {
      return im.fail(rc, "group_session_builder_create");
    }
    GroupBuilder builder(raw);
    Ref<sender_key_distribution_message> skdm;
    if (int rc = group_session_builder_create_session(builder.get(), skdm.out(), &name.raw);
        rc < 0) {
      return im.fail(rc, "group_session_builder_create_session");
    }
    // A sender_key_distribution_message starts with its ciphertext_message base.
    return copy(
        view(ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(skdm.get()))));
  });
}

SignalResult<void> SignalProtocol::process_sender_key_distribution(
    const store::SenderKeyName& sender, std::span<const std::uint8_t> message) {
  if (!valid_device(sender.sender.device)) return {SignalErrc::invalid_argument, "device id"};
  auto& im = *impl_;
  auto r = im.atomically<bool>([&]() -> SignalResult<bool> {
    Ref<sender_key_distribution_message> skdm;
    if (int rc = sender_key_distribution_message_deserialize(skdm.out(), data_or_empty(message),
                                                             message.size(), im.ctx.get());
        rc < 0) {
      return im.fail_parse(rc, "sender_key_distribution_message_deserialize");
    }
    SenderKeyNameView name(sender);
    group_session_builder* raw = nullptr;
    if (int rc = group_session_builder_create(&raw, im.store_ctx.get(), im.ctx.get()); rc < 0) {
      return im.fail(rc, "group_session_builder_create");
    }
    GroupBuilder builder(raw);
    if (int rc = group_session_builder_process_session(builder.get(), &name.raw, skdm.get());
        rc < 0) {
      return im.fail(rc, "group_session_builder_process_session");
    }
    return true;
  });
  if (!r) return std::move(r).error();
  return {};
}

SignalResult<store::Bytes> SignalProtocol::group_encrypt(const store::SenderKeyName& self,
                                                         std::span<const std::uint8_t> plaintext) {
  if (!valid_device(self.sender.device)) return {SignalErrc::invalid_argument, "device id"};
  auto& im = *impl_;
  return im.atomically<store::Bytes>([&]() -> SignalResult<store::Bytes> {
    SenderKeyNameView name(self);
    group_cipher* raw = nullptr;
    if (int rc = group_cipher_create(&raw, im.store_ctx.get(), &name.raw, im.ctx.get()); rc < 0) {
      return im.fail(rc, "group_cipher_create");
    }
    GroupCipher cipher(raw);
    Ref<ciphertext_message> msg;
    if (int rc = group_cipher_encrypt(cipher.get(), data_or_empty(plaintext), plaintext.size(),
                                      msg.out());
        rc < 0) {
      return im.fail(rc, "group_cipher_encrypt");
    }
    return copy(view(ciphertext_message_get_serialized(msg.get())));
  });
}

SignalResult<store::Bytes> SignalProtocol::group_decrypt(const store::SenderKeyName& sender,
                                                         std::span<const std::uint8_t> ciphertext) {
  if (!valid_device(sender.sender.device)) return {SignalErrc::invalid_argument, "device id"};
  auto& im = *impl_;
  return im.atomically<store::Bytes>([&]() -> SignalResult<store::Bytes> {
    Ref<sender_key_message> msg;
    if (int rc = sender_key_message_deserialize(msg.out(), data_or_empty(ciphertext),
                                                ciphertext.size(), im.ctx.get());
        rc < 0) {
      return im.fail_parse(rc, "sender_key_message_deserialize");
    }
    SenderKeyNameView name(sender);
    group_cipher* raw = nullptr;
    if (int rc = group_cipher_create(&raw, im.store_ctx.get(), &name.raw, im.ctx.get()); rc < 0) {
      return im.fail(rc, "group_cipher_create");
    }
    GroupCipher cipher(raw);
    signal_buffer* plain = nullptr;
    if (int rc = group_cipher_decrypt(cipher.get(), msg.get(), nullptr, &plain); rc < 0) {
      return im.fail(rc, "group_cipher_decrypt");
    }
    Buffer owned(plain);
    return copy(view(owned.get()));
  });
}

}  // namespace wa::signal
