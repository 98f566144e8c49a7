// Prekeys of our device (docs/PROTOCOL.md §5.1): the upload after login and when the server
// reports that few are left. Part of the connection life cycle of client.cpp; the state is
// declared in client_impl.hpp.
#include "client_impl.hpp"

namespace wa::client {

asio::awaitable<Result<void>> Client::Impl::upload_prekeys(std::shared_ptr<Conn> c,
                                                           std::size_t count, int before) {
  if (count == 0 || c->uploading) co_return Result<void>{};
  c->uploading = true;
  struct Reset {
    Conn& c;
    ~Reset() { c.uploading = false; }
  } reset{*c};
  auto keys = signal::get_or_generate_prekeys(store, count);
  if (!keys) co_return Error{Errc::invalid_argument, "prekeys: " + keys.error().message()};
  auto d = load_device();
  if (!d || !d->has_value()) co_return Error{Errc::invalid_argument, "no device record"};
  auto r = co_await iq(c, stanza::prekey_upload(**d, *keys));
  if (!r) co_return r.error();
  std::vector<std::uint32_t> ids;
  ids.reserve(keys->size());
  for (const auto& k : *keys) ids.push_back(k.id);
  if (auto m = store.prekeys().mark_prekeys_uploaded(ids); !m)
    log(1, "store: " + m.error().message());
  emit(PrekeysUploaded{keys->size(), before});
  co_return Result<void>{};
}

asio::awaitable<void> Client::Impl::low_prekeys(std::shared_ptr<Conn> c, int count) {
  auto self = shared_from_this();
  if (auto r = co_await upload_prekeys(c, stanza::kPrekeyTopUp, count); !r && !c->ending)
    log(1, "prekey top-up failed: " + r.error().message());
}

}  // namespace wa::client
