// Is a phone number on WhatsApp? The usync contact query (docs/PROTOCOL.md §5.3): the stanza, its
// answer, and Client::lookup_phones on the client's strand.
#include <algorithm>

#include "client_impl.hpp"

namespace wa::client {

namespace send {

Node usync_contacts_query(std::span<const std::string> phones, std::string_view sid) {
  std::vector<Node> list;
  for (const auto& p : phones)
    list.push_back(Node{"user", {}, std::vector<Node>{Node{"contact", {}, "+" + p}}});
  Node query{"query", {}, std::vector<Node>{Node{"contact", {}, {}}, Node{"lid", {}, {}}}};
  Node usync{"usync",
             {{"sid", std::string(sid)},
              {"mode", "query"},
              {"last", "true"},
              {"index", "0"},
              {"context", "interactive"}},
             std::vector<Node>{std::move(query), Node{"list", {}, std::move(list)}}};
  return Node{"iq",
              {{"xmlns", "usync"}, {"type", "get"}, {"to", "s.whatsapp.net"}},
              std::vector<Node>{std::move(usync)}};
}

std::vector<PhoneLookup> parse_usync_contacts(const Node& iq, std::span<const std::string> phones) {
  std::vector<PhoneLookup> out;
  for (const auto& p : phones) out.push_back(PhoneLookup{p, false, {}, {}});
  const auto* usync = iq.child("usync");
  const auto* list = usync ? usync->child("list") : nullptr;
  if (!list) return out;
  for (const auto& user : list->children()) {
    if (user.tag != "user" || !user.attr("jid")) continue;
    auto jid = Jid::parse(*user.attr("jid"));
    if (!jid || !jid->is_pn()) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const PhoneLookup& l) { return l.phone == jid->user; });
    if (it == out.end()) continue;
    const auto* contact = user.child("contact");
    const auto* type = contact ? contact->attr("type") : nullptr;
    it->exists = type && *type == "in";
    if (!it->exists) continue;
    it->jid = jid->to_non_ad();
    if (const auto* lid = user.child("lid"); lid && lid->attr("val")) {
      if (auto l = Jid::parse(*lid->attr("val")); l && l->is_lid()) it->lid = l->to_non_ad();
    }
  }
  return out;
}

}  // namespace send

asio::awaitable<std::optional<Result<std::vector<PhoneLookup>>>> Client::Impl::do_lookup_phones(
    std::vector<std::string> phones) {
  using R = Result<std::vector<PhoneLookup>>;
  auto self = shared_from_this();
  if (phones.empty()) co_return R(Errc::invalid_argument, "no phone number");
  for (const auto& p : phones) {
    if (p.size() < 5 || p.size() > 20 ||
        !std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      co_return R(Errc::invalid_argument, "not a phone number: " + p);
  }
  auto c = conn;
  if (!c || !c->ready()) co_return R(Errc::client_disconnected, "not logged in");
  auto r = co_await iq(c, send::usync_contacts_query(phones, c->iq.next_id()));
  if (!r) co_return r.error();
  auto found = send::parse_usync_contacts(*r, phones);
  std::vector<store::LidMapping> pairs;
  for (const auto& f : found)
    if (f.jid && f.lid) pairs.push_back({f.lid->user, f.jid->user});
  if (!pairs.empty()) {
    if (auto m = store.lid_map().put_lid_mappings(pairs); !m)
      log(1, "store: " + m.error().message());
  }
  co_return R(std::move(found));
}

asio::awaitable<Result<std::vector<PhoneLookup>>> Client::lookup_phones(
    std::vector<std::string> phones) {
  auto impl = impl_;
  auto r = co_await asio::co_spawn(impl->strand, impl->do_lookup_phones(std::move(phones)),
                                   asio::use_awaitable);
  co_return std::move(*r);
}

}  // namespace wa::client
