#include "auth/authenticator.hpp"

#include "auth/accounts.hpp"
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
  auto verified = jwt::verify(token, key_, now_());
  if (!verified) co_return std::nullopt;
  Identity id{verified.claims->sub, verified.claims->jti, verified.claims->exp};
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
