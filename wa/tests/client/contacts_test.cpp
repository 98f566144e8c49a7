// The usync contact query (Client::lookup_phones): the stanza we send and how its answer is read.
#include <gtest/gtest.h>

#include "client/send.hpp"

using namespace wa;
using namespace wa::client;
using wa::binary::Node;

TEST(Contacts, QueryAsksContactAndLidOfEachNumber) {
  const std::vector<std::string> phones{"628111", "628222"};
  auto n = send::usync_contacts_query(phones, "s1");
  EXPECT_EQ(n.tag, "iq");
  EXPECT_EQ(*n.attr("xmlns"), "usync");
  const auto* usync = n.child("usync");
  ASSERT_TRUE(usync);
  EXPECT_EQ(*usync->attr("sid"), "s1");
  const auto* query = usync->child("query");
  ASSERT_TRUE(query && query->child("contact") && query->child("lid"));
  const auto& users = usync->child("list")->children();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1].child("contact")->content_view(), "+628222");
}

TEST(Contacts, AnswerKeepsTheOrderAskedAndMissingNumbersDoNotExist) {
  auto user = [](std::string jid, std::string type, std::string lid) {
    std::vector<Node> c{Node{"contact", {{"type", type}}, {}}};
    if (!lid.empty()) c.push_back(Node{"lid", {{"val", lid}}, {}});
    return Node{"user", {{"jid", jid}}, std::move(c)};
  };
  Node list{"list",
            {},
            std::vector<Node>{user("628222@s.whatsapp.net", "in", "999@lid"),
                              user("628333@s.whatsapp.net", "out", "")}};
  Node iq{"iq", {}, std::vector<Node>{Node{"usync", {}, std::vector<Node>{list}}}};
  const std::vector<std::string> phones{"628111", "628222", "628333"};
  auto r = send::parse_usync_contacts(iq, phones);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].phone, "628111");
  EXPECT_FALSE(r[0].exists);  // not in the answer
  EXPECT_TRUE(r[1].exists);
  EXPECT_EQ(r[1].jid->to_string(), "628222@s.whatsapp.net");
  EXPECT_EQ(r[1].lid->to_string(), "999@lid");
  EXPECT_FALSE(r[2].exists);  // type="out"
  EXPECT_FALSE(r[2].jid);
}
