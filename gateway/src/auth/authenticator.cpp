#include "auth/authenticator.hpp"

#include "auth/accounts.hpp"
#include "auth/api_keys.hpp"
#include "auth/basic_auth.hpp"
#include "http/errors.hpp"

namespace gw::auth {

namespace {
constexpr auto kConfirmedFor = std::chrono::seconds(1);
constexpr std::size_t kConfirmedMax = 100'000;
}  // namespace

Authenticator::Authenticator(db::Database& db, std::string jwt_key, std::chrono::seconds ttl,
                             Clock now)
    : db_(db), key_(std::move(jwt_key)), ttl_(ttl), now_(std::move(now)) {}

std::string Authenticator::issue(const std::string& user_id) const {
  return jwt::sign(jwt::make_claims(user_id, now_(), ttl_.count()), key_);
}

boost::asio::awaitable<std::optional<Identity>> Authenticator::authenticate(
    std::string_view token) const {
  if (token.starts_with(kApiKeyMarker)) co_return co_await authenticate_api_key(token);
  auto verified = jwt::verify(token, key_, now_());
  if (!verified) co_return std::nullopt;
  Identity id{verified.claims->sub, verified.claims->jti, verified.claims->exp, std::nullopt};
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = confirmed_.find(id.jti);
    if (it != confirmed_.end() && now - it->second < kConfirmedFor) co_return id;
  }
  bool valid = co_await db_.run([&id](db::Connection& c) {
    return !Accounts::is_revoked(c, id.jti) && Accounts::user_exists(c, id.user_id);
  });
  if (!valid) co_return std::nullopt;
  std::lock_guard lock(mutex_);
  if (confirmed_.size() >= kConfirmedMax) confirmed_.clear();
  confirmed_[id.jti] = now;
  co_return id;
}

void Authenticator::forget(const std::string& jti) const {
  std::lock_guard lock(mutex_);
  confirmed_.erase(jti);
}

boost::asio::awaitable<std::optional<Identity>> Authenticator::authenticate_api_key(
    std::string_view key) const {
  if (!looks_like_api_key(key)) co_return std::nullopt;
  const auto hash = api_key_hash(key);
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = confirmed_keys_.find(hash);
    if (it != confirmed_keys_.end() && now - it->second.at < kConfirmedFor) {
      co_return it->second.identity;
    }
    generation = keys_generation_;
  }
  const auto now_ms = now_() * 1000;
  auto record =
      co_await db_.run([key, now_ms](db::Connection& c) { return find_api_key(c, key, now_ms); });
  if (!record) co_return std::nullopt;
  Identity id{record->user_id, "", 0, http::ApiKeyGrant{record->id, record->session_ids}};
  std::lock_guard lock(mutex_);
  if (generation == keys_generation_) {
    if (confirmed_keys_.size() >= kConfirmedMax) confirmed_keys_.clear();
    confirmed_keys_[hash] = {id, now};
  }
  co_return id;
}

void Authenticator::forget_api_key(const std::string& key_id) const {
  std::lock_guard lock(mutex_);
  ++keys_generation_;
  std::erase_if(confirmed_keys_, [&key_id](const auto& entry) {
    return entry.second.identity.api_key->key_id == key_id;
  });
}

std::optional<std::string_view> Authenticator::credential(const http::Request& req) {
  if (auto token = bearer(req)) return token;
  if (auto key = req.headers.get("X-Api-Key"); key && looks_like_api_key(*key)) return key;
  return std::nullopt;
}

std::optional<std::string_view> Authenticator::bearer(const http::Request& req) {
  auto h = req.headers.get("Authorization");
  if (!h) return std::nullopt;
  return bearer_token(*h);
}

boost::asio::awaitable<Identity> Authenticator::require_query_token(
    const http::Request& req) const {
  auto token = req.query_param("token");
  std::optional<Identity> id;
  if (token && !token->empty()) id = co_await authenticate(*token);
  if (!id) throw http::ApiError(http::ErrorKind::unauthorized, "missing, invalid or expired token");
  co_return *id;
}

}  // namespace gw::auth
