#include "wa/noise/cert.hpp"

#include <string>

#include "wa/crypto/primitives.hpp"
#include "wa/proto/wa.pb.h"

namespace wa::noise {

namespace {

using Details = proto::CertChain::NoiseCertificate::Details;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool parse_details(const std::string& raw, Details& out) {
  return raw.size() <= INT32_MAX && out.ParseFromArray(raw.data(), static_cast<int>(raw.size()));
}

// notBefore <= now <= notAfter, in Unix seconds; absent dates are 0, which fails (as whatsmeow).
Result<void> check_validity(const Details& d, std::int64_t now, Errc code, const char* which) {
  const auto nb = d.not_before(), na = d.not_after();
  if (now < 0 || static_cast<std::uint64_t>(now) < nb)
    return {code, std::string(which) + " certificate not valid yet (not_before " +
                      std::to_string(nb) + ", now " + std::to_string(now) + ")"};
  if (static_cast<std::uint64_t>(now) > na)
    return {code, std::string(which) + " certificate expired (not_after " + std::to_string(na) +
                      ", now " + std::to_string(now) + ")"};
  return {};
}

}  // namespace

Result<void> verify_cert_chain(std::span<const std::uint8_t> chain,
                               const crypto::PublicKey& server_static, const CertPolicy& policy,
                               std::chrono::system_clock::time_point now) {
  proto::CertChain cc;
  if (chain.size() > INT32_MAX || !cc.ParseFromArray(chain.data(), static_cast<int>(chain.size())))
    return {Errc::proto_invalid, "certificate chain does not parse"};
  const auto& inter = cc.intermediate();
  const auto& leaf = cc.leaf();
  if (!cc.has_intermediate() || !cc.has_leaf() || !inter.has_details() || !inter.has_signature() ||
      !leaf.has_details() || !leaf.has_signature())
    return {Errc::cert_missing, "missing parts of the certificate chain"};
  if (inter.signature().size() != 64)
    return {
        Errc::cert_bad_signature_length,
        "intermediate signature is " + std::to_string(inter.signature().size()) + " bytes, not 64"};
  if (leaf.signature().size() != 64)
    return {Errc::cert_bad_signature_length,
            "leaf signature is " + std::to_string(leaf.signature().size()) + " bytes, not 64"};
  if (!crypto::xeddsa_verify(policy.root_key, bytes_of(inter.details()),
                             bytes_of(inter.signature())))
    return {Errc::cert_intermediate_signature,
            "intermediate certificate not signed by the root key"};
  Details id;
  if (!parse_details(inter.details(), id))
    return {Errc::cert_details_invalid, "intermediate certificate details do not parse"};
  if (id.issuer_serial() != policy.root_issuer_serial)
    return {Errc::cert_intermediate_issuer,
            "intermediate issuer serial " + std::to_string(id.issuer_serial()) +
                " is not the root's " + std::to_string(policy.root_issuer_serial)};
  if (id.key().size() != 32)
    return {Errc::cert_intermediate_key_length,
            "intermediate key is " + std::to_string(id.key().size()) + " bytes, not 32"};
  crypto::PublicKey inter_key{};
  std::copy(id.key().begin(), id.key().end(), inter_key.begin());
  if (!crypto::xeddsa_verify(inter_key, bytes_of(leaf.details()), bytes_of(leaf.signature())))
    return {Errc::cert_leaf_signature, "leaf certificate not signed by the intermediate key"};
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (auto r = check_validity(id, now_s, Errc::cert_intermediate_expired, "intermediate"); !r)
    return r;
  Details ld;
  if (!parse_details(leaf.details(), ld))
    return {Errc::cert_details_invalid, "leaf certificate details do not parse"};
  if (ld.issuer_serial() != id.serial())
    return {Errc::cert_leaf_issuer, "leaf issuer serial " + std::to_string(ld.issuer_serial()) +
                                        " is not the intermediate serial " +
                                        std::to_string(id.serial())};
  if (!crypto::equal_ct(bytes_of(ld.key()), server_static))
    return {Errc::cert_leaf_key_mismatch, "leaf key does not match server static key"};
  if (auto r = check_validity(ld, now_s, Errc::cert_leaf_expired, "leaf"); !r) return r;
  return {};
}

}  // namespace wa::noise
