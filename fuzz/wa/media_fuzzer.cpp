// libFuzzer target: media decryption (docs/PROTOCOL.md §8.2, §8.5) of bytes a media host returns.
// The input is (1) decrypted as a blob under a fixed media key, with and without expected hashes
// (its own SHA-256 as the expected enc hash gets it past the first check to the MAC), and (2)
// encrypted as a plaintext, flipped at an input-chosen byte when the input asks for it, and
// decrypted again: the round trip must give the input back, and any flip must be refused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "wa/crypto/primitives.hpp"
#include "wa/media/crypto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::uint8_t> key(32, 0x42);
  const std::span<const std::uint8_t> in(data, size);
  const auto type =
      size ? static_cast<wa::media::MediaType>(data[0] % 8) : wa::media::MediaType::image;

  (void)wa::media::decrypt(in, key, type, {}, {});
  const auto own = wa::crypto::sha256({in});
  (void)wa::media::decrypt(in, key, type, own, own);

  auto e = wa::media::encrypt_with_key(in, key, type);
  if (!e) std::abort();
  auto blob = e->blob;
  const bool flip = size >= 2 && (data[1] & 1);
  if (flip) blob[data[size - 1] % blob.size()] ^= static_cast<std::uint8_t>(data[1] | 1);
  auto d = wa::media::decrypt(blob, key, type, e->file_enc_sha256, e->file_sha256);
  if (flip == d.ok()) std::abort();
  if (d && (d->size() != size || (size && std::memcmp(d->data(), data, size) != 0))) std::abort();
  return 0;
}
