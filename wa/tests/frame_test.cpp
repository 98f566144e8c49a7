#include "wa/socket/frame.hpp"

#include <gtest/gtest.h>

#include "wa/constants.hpp"

namespace {

using wa::socket::Bytes;
using wa::socket::FrameReader;
using wa::socket::FrameWriter;

Bytes payload(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31);
  return b;
}

TEST(Frames, WriterSendsHeaderOnceAndBigEndianLengths) {
  FrameWriter w(wa::constants::kConnHeader);
  auto first = w.frame(payload(0x010203, 1));
  ASSERT_TRUE(first.ok());
  ASSERT_GE(first->size(), 7u);
  EXPECT_EQ(Bytes(first->begin(), first->begin() + 7),
            (Bytes{0x57, 0x41, 0x06, 0x03, 0x01, 0x02, 0x03}));
  EXPECT_EQ(first->size(), 4u + 3u + 0x010203u);
  auto second = w.frame(Bytes{0xAA});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, (Bytes{0x00, 0x00, 0x01, 0xAA}));
}

TEST(Frames, WriterRejectsPayloadOverLimit) {
  FrameWriter w({});
  Bytes big(wa::constants::kFrameMaxSize + 1);
  auto r = w.frame(big);
  EXPECT_EQ(r.code(), wa::Errc::frame_too_large);
  Bytes max(wa::constants::kFrameMaxSize);
  auto ok = wa::socket::encode_frame(max);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0], 0xFF);
  EXPECT_EQ((*ok)[2], 0xFF);
}

TEST(Frames, ReassemblesFramesSplitAcrossMessages) {
  const Bytes p = payload(1000, 7);
  auto framed = wa::socket::encode_frame(p);
  ASSERT_TRUE(framed.ok());
  FrameReader r;
  // One byte per WebSocket message, including inside the length prefix.
  for (std::size_t i = 0; i < framed->size(); ++i) {
    ASSERT_TRUE(r.feed(std::span(framed->data() + i, 1)).ok());
    auto f = r.next();
    if (i + 1 < framed->size()) {
      EXPECT_FALSE(f.has_value());
    } else {
      ASSERT_TRUE(f.has_value());
      EXPECT_EQ(*f, p);
    }
  }
  EXPECT_TRUE(r.finish().ok());
}

TEST(Frames, SplitsSeveralFramesJoinedInOneMessage) {
  Bytes joined;
  std::vector<Bytes> sent;
  for (std::size_t n : {0u, 1u, 3u, 300u, 70000u}) {
    sent.push_back(payload(n, static_cast<std::uint8_t>(n)));
    auto f = wa::socket::encode_frame(sent.back());
    ASSERT_TRUE(f.ok());
    joined.insert(joined.end(), f->begin(), f->end());
  }
  // Join everything, then cut at an awkward place so the last frame straddles two messages.
  const std::size_t cut = joined.size() - 5;
  FrameReader r;
  ASSERT_TRUE(r.feed(std::span(joined.data(), cut)).ok());
  std::vector<Bytes> got;
  while (auto f = r.next()) got.push_back(*f);
  EXPECT_EQ(got.size(), sent.size() - 1);
  EXPECT_EQ(r.finish().code(), wa::Errc::frame_truncated);
  ASSERT_TRUE(r.feed(std::span(joined.data() + cut, joined.size() - cut)).ok());
  while (auto f = r.next()) got.push_back(*f);
  EXPECT_EQ(got, sent);
  EXPECT_TRUE(r.finish().ok());
}

TEST(Frames, AnnouncedLengthOverConfiguredLimitFails) {
  FrameReader r(100);
  EXPECT_TRUE(r.feed(Bytes{0x00, 0x00, 0x64}).ok());  // exactly 100: fine
  EXPECT_TRUE(r.feed(payload(100, 0)).ok());
  EXPECT_TRUE(r.next().has_value());
  auto bad = r.feed(Bytes{0x00, 0x00, 0x65});
  EXPECT_EQ(bad.code(), wa::Errc::frame_too_large);
  EXPECT_FALSE(r.feed(Bytes{0x00}).ok()) << "a failed reader stays failed";
  EXPECT_FALSE(r.next().has_value());
}

TEST(Frames, TruncatedFrameIsReportedAtEndOfStream) {
  FrameReader r;
  ASSERT_TRUE(r.feed(Bytes{0x00, 0x00, 0x05, 1, 2}).ok());
  EXPECT_FALSE(r.next().has_value());
  EXPECT_EQ(r.finish().code(), wa::Errc::frame_truncated);
  FrameReader r2;
  ASSERT_TRUE(r2.feed(Bytes{0x00}).ok());
  EXPECT_EQ(r2.finish().code(), wa::Errc::frame_truncated);
}

}  // namespace
