#pragma once
// RAII for libsignal-protocol-c objects (internal). Refcounted objects (everything that starts
// with signal_type_base: keys, key pairs, prekeys, bundles, messages, records) are held by Ref<T>,
// which unrefs once; plain allocations (buffers, ciphers, builders, contexts) by unique_ptr with
// their free function.
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/key_helper.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/signal_protocol.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace wa::signal::detail {

/// Owns one reference to a libsignal refcounted object.
template <class T>
class Ref {
 public:
  Ref() = default;
  /// Adopts a reference the caller already owns (e.g. from a *_create out-parameter).
  explicit Ref(T* p) noexcept : p_(p) {}
  ~Ref() { reset(); }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Ref& operator=(Ref&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  /// Takes an extra reference to an object owned elsewhere (e.g. a getter's result).
  static Ref share(T* p) noexcept {
    if (p) signal_type_ref(reinterpret_cast<signal_type_base*>(p));
    return Ref(p);
  }
  void reset() noexcept {
    if (p_) signal_type_unref(reinterpret_cast<signal_type_base*>(std::exchange(p_, nullptr)));
  }
  T* get() const noexcept { return p_; }
  /// For out-parameters: releases the current object and returns the slot to fill.
  T** out() noexcept {
    reset();
    return &p_;
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

struct BufferFree {
  void operator()(signal_buffer* b) const noexcept { signal_buffer_bzero_free(b); }
};
/// An owned signal_buffer (zeroed on free: it may hold key material or plaintext).
using Buffer = std::unique_ptr<signal_buffer, BufferFree>;

inline std::span<const std::uint8_t> view(const signal_buffer* b) noexcept {
  if (!b) return {};
  return {signal_buffer_const_data(b), signal_buffer_len(b)};
}

struct ContextFree {
  void operator()(signal_context* c) const noexcept { signal_context_destroy(c); }
};
using Context = std::unique_ptr<signal_context, ContextFree>;
struct StoreContextFree {
  void operator()(signal_protocol_store_context* c) const noexcept {
    signal_protocol_store_context_destroy(c);
  }
};
using StoreContext = std::unique_ptr<signal_protocol_store_context, StoreContextFree>;
struct SessionCipherFree {
  void operator()(session_cipher* c) const noexcept { session_cipher_free(c); }
};
using SessionCipher = std::unique_ptr<session_cipher, SessionCipherFree>;
struct SessionBuilderFree {
  void operator()(session_builder* b) const noexcept { session_builder_free(b); }
};
using SessionBuilder = std::unique_ptr<session_builder, SessionBuilderFree>;
struct GroupCipherFree {
  void operator()(group_cipher* c) const noexcept { group_cipher_free(c); }
};
using GroupCipher = std::unique_ptr<group_cipher, GroupCipherFree>;
struct GroupBuilderFree {
  void operator()(group_session_builder* b) const noexcept { group_session_builder_free(b); }
};
using GroupBuilder = std::unique_ptr<group_session_builder, GroupBuilderFree>;
struct PreKeyListFree {
  void operator()(signal_protocol_key_helper_pre_key_list_node* n) const noexcept {
    signal_protocol_key_helper_key_list_free(n);
  }
};
using PreKeyList = std::unique_ptr<signal_protocol_key_helper_pre_key_list_node, PreKeyListFree>;
struct IntListFree {
  void operator()(signal_int_list* l) const noexcept { signal_int_list_free(l); }
};
using IntList = std::unique_ptr<signal_int_list, IntListFree>;

}  // namespace wa::signal::detail
