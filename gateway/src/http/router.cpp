#include "http/router.hpp"

#include <stdexcept>

namespace gw::http {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto pos = path.find('/');
    out.push_back(path.substr(0, pos));
    if (pos == std::string_view::npos) break;
    path.remove_prefix(pos + 1);
  }
  return out;
}

// Score of a match: number of literal segments matched; -1 when the path does not match.
int match_score(const Route& r, const std::vector<std::string_view>& parts,
                std::vector<std::pair<std::string, std::string>>* params) {
  if (r.segments.size() != parts.size()) return -1;
  int score = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = r.segments[i];
    if (!seg.empty() && seg.front() == ':') {
      if (parts[i].empty()) return -1;
      if (params) params->emplace_back(seg.substr(1), std::string(parts[i]));
    } else if (seg == parts[i]) {
      ++score;
    } else {
      return -1;
    }
  }
  return score;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Access access, Handler handler,
                 Body body) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  Route r{std::move(method), std::move(pattern), access, std::move(handler), body, {}, {}};
  for (auto part : split_path(r.pattern)) r.segments.emplace_back(part);
  for (size_t i = 1; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    if (r.segments[i - 1] == "sessions" && !seg.empty() && seg.front() == ':') {
      r.session_param = seg.substr(1);
      break;
    }
  }
  routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  auto parts = split_path(path);
  Match m;
  int best = -1;
  int best_any_method = -1;
  for (const auto& r : routes_) {
    int score = match_score(r, parts, nullptr);
    if (score < 0) continue;
    if (score > best_any_method) {
      best_any_method = score;
      m.pattern = r.pattern;
    }
    if (r.method == method && score > best) {
      best = score;
      m.route = &r;
    }
  }
  if (m.route) {
    m.outcome = Outcome::found;
    m.pattern = m.route->pattern;
    match_score(*m.route, parts, &m.params);
    return m;
  }
  if (best_any_method >= 0) {
    m.outcome = Outcome::method_not_allowed;
    for (const auto& r : routes_) {
      if (r.pattern == m.pattern) m.allowed.push_back(r.method);
    }
  }
  return m;
}

}  // namespace gw::http
