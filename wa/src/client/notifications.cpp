// Server notifications (docs/PROTOCOL.md §5.1, §5.3, §7.3, §8.6): a low prekey count starts an
// upload, an identity change goes to the Signal layer, device-list and group changes drop the
// cached lists, the phone-code pairing notification goes to pairing.cpp, a media retry answer to
// its waiter. Part of the connection life
// cycle of client.cpp; the state is declared in client_impl.hpp.
#include "client_impl.hpp"

namespace wa::client {

void Client::Impl::handle_notification(const std::shared_ptr<Conn>& c, const Node& n) {
  const auto* type = n.attr("type");
  if (!type) return;
  const auto* from = n.attr("from");
  if (*type == "encrypt") {
    if (from && *from == Jid::default_server().to_string()) {
      if (auto cnt = stanza::count_value(n); cnt && *cnt < stanza::kPrekeyLowWater && c->ready())
        spawn(low_prekeys(c, *cnt));
      return;
    }
    if (n.child("identity")) return on_identity_change(n);
    return log(0, "encrypt notification from a user ignored");
  }
  if (*type == "devices" || *type == "account_sync") {
    for (const char* key : {"from", "lid"}) {
      if (const auto* a = n.attr(key)) {
        if (auto j = Jid::parse(*a)) device_cache.erase(j->to_non_ad().to_string());
      }
    }
    return log(0,
               "device list of " + (from ? *from : std::string("?")) + " changed: cache dropped");
  }
  if (*type == "link_code_companion_reg") return on_link_code_notification(c, n);
  if (*type == "mediaretry") {
    // The phone's answer to a media retry receipt: handed to whoever waits for it (§8.6).
    if (!c->media_retries.resolve(n)) log(0, "mediaretry notification nobody waits for ignored");
    return;
  }
  if (*type == "w:gp2") {
    if (from) group_cache.erase(*from);
    return log(0, "group " + (from ? *from : std::string("?")) + " changed: metadata dropped");
  }
  log(0, "notification type=" + *type + " ignored");
}

}  // namespace wa::client
