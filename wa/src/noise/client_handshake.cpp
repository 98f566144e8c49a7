#include "wa/noise/client_handshake.hpp"

#include <cassert>
#include <string>

#include "wa/constants.hpp"
#include "wa/proto/wa.pb.h"

namespace wa::noise {

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Bytes serialize(const proto::HandshakeMessage& m) {
  Bytes out(m.ByteSizeLong());
  m.SerializeToArray(out.data(), static_cast<int>(out.size()));
  return out;
}

}  // namespace

ClientHandshake::ClientHandshake(const crypto::KeyPair& noise_static, CertPolicy policy,
                                 const crypto::KeyPair& ephemeral)
    : static_(noise_static), ephemeral_(ephemeral), policy_(policy), state_(constants::kNoiseName) {
  state_.mix_hash(constants::kConnHeader);  // prologue (§1.3 step 1)
  state_.mix_hash(ephemeral_.pub);          // -> e
}

Bytes ClientHandshake::client_hello() const {
  proto::HandshakeMessage m;
  m.mutable_client_hello()->set_ephemeral(ephemeral_.pub.data(), ephemeral_.pub.size());
  return serialize(m);
}

Result<Bytes> ClientHandshake::on_server_hello(std::span<const std::uint8_t> server_hello,
                                               std::span<const std::uint8_t> client_payload,
                                               std::chrono::system_clock::time_point now) {
  if (done_) return {Errc::invalid_argument, "handshake already processed a server hello"};
  done_ = true;  // one attempt: any failure leaves the state unusable
  proto::HandshakeMessage msg;
  if (server_hello.size() > INT32_MAX ||
      !msg.ParseFromArray(server_hello.data(), static_cast<int>(server_hello.size())))
    return {Errc::noise_bad_message, "server hello is not a HandshakeMessage"};
  if (!msg.has_server_hello())
    return {Errc::noise_bad_message, "no server_hello in the server's message"};
  const auto& sh = msg.server_hello();
  if (sh.ephemeral().size() != 32)
    return {Errc::noise_bad_message, "server ephemeral key is not 32 bytes"};
  if (sh.static_().empty() || sh.payload().empty())
    return {Errc::noise_bad_message, "server hello without static key or certificate"};

  crypto::PublicKey re{};
  std::copy(sh.ephemeral().begin(), sh.ephemeral().end(), re.begin());
  state_.mix_hash(re);  // <- e
  auto ee = crypto::x25519(ephemeral_.priv, re);
  if (!ee) return ee.error();
  state_.mix_key(*ee);                                        // ee
  auto rs = state_.decrypt_and_hash(bytes_of(sh.static_()));  // s
  if (!rs) return rs.error();
  if (rs->size() != 32) return {Errc::noise_bad_message, "server static key is not 32 bytes"};
  std::copy(rs->begin(), rs->end(), server_static_.begin());
  auto es = crypto::x25519(ephemeral_.priv, server_static_);
  if (!es) return es.error();
  state_.mix_key(*es);  // es
  auto cert = state_.decrypt_and_hash(bytes_of(sh.payload()));
  if (!cert) return cert.error();
  if (auto v = verify_cert_chain(*cert, server_static_, policy_, now); !v) return v.error();

  auto enc_static = state_.encrypt_and_hash(static_.pub);  // -> s
  if (!enc_static) return enc_static.error();
  auto se = crypto::x25519(static_.priv, re);
  if (!se) return se.error();
  state_.mix_key(*se);  // se
  auto enc_payload = state_.encrypt_and_hash(client_payload);
  if (!enc_payload) return enc_payload.error();

  proto::HandshakeMessage fin;
  auto* cf = fin.mutable_client_finish();
  cf->set_static_(enc_static->data(), enc_static->size());
  cf->set_payload(enc_payload->data(), enc_payload->size());
  finished_ = true;
  return serialize(fin);
}

TransportCipher ClientHandshake::transport() const {
  assert(finished_ && "transport() before a successful on_server_hello()");
  const auto [write_key, read_key] = state_.split();
  return {write_key, read_key};
}

}  // namespace wa::noise
