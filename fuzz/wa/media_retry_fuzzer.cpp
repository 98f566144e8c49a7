// libFuzzer target: the phone's answer to a media retry (docs/PROTOCOL.md §8.6). The first byte
// picks the form: a whole notification decoded from the bytes, or a well-formed notification whose
// enc_iv and enc_p are the bytes (so the decryption and the protobuf reader are reached). Either
// way read_media_retry returns an answer or an error, never crashes; a success carries a path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "media/retry.hpp"
#include "wa/binary/node.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using wa::binary::Node;
  static const std::vector<std::uint8_t> key(32, 0x5a);
  if (size < 1) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  Node n;
  if (data[0] & 1) {
    auto decoded = wa::binary::decode_raw(rest);
    if (!decoded) return 0;
    n = std::move(*decoded);
  } else {
    const auto iv_len = rest.size() < 12 ? rest.size() : std::size_t{12};
    n = Node{
        "notification",
        {{"id", "3EB0FUZZ"}, {"type", "mediaretry"}},
        std::vector<Node>{
            Node{"rmr", {{"jid", "1@s.whatsapp.net"}}, {}},
            Node{"encrypt",
                 {},
                 std::vector<Node>{
                     Node{"enc_iv", {}, wa::binary::Bytes(rest.begin(), rest.begin() + iv_len)},
                     Node{"enc_p", {}, wa::binary::Bytes(rest.begin() + iv_len, rest.end())}}}}};
  }
  (void)wa::media::media_retry_id(n);
  auto r = wa::media::read_media_retry(n, key);
  if (r && r->direct_path.empty()) std::abort();
  return 0;
}
