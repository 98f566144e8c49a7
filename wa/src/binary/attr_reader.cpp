#include "wa/binary/attr_reader.hpp"

#include <charconv>

namespace wa::binary {

void AttrReader::fail(Errc code, std::string_view key, std::string_view why) {
  std::string d = "<" + node_.tag + "> attribute '" + std::string(key) + "'";
  if (!why.empty()) {
    d += ": ";
    d += why;
  }
  errors_.push_back({code, std::move(d)});
}

const std::string* AttrReader::get(std::string_view key, bool required) {
  const std::string* v = node_.attr(key);
  if (!v && required) fail(Errc::attr_missing, key, "missing");
  return v;
}

std::string AttrReader::string(std::string_view key) {
  const auto* v = get(key, true);
  return v ? *v : std::string();
}

std::optional<std::string> AttrReader::optional_string(std::string_view key) {
  if (const auto* v = get(key, false)) return *v;
  return std::nullopt;
}

std::optional<Jid> AttrReader::optional_jid(std::string_view key) {
  const auto* v = get(key, false);
  if (!v) return std::nullopt;
  auto j = Jid::parse(*v);
  if (!j) {
    fail(Errc::attr_invalid, key, j.error().message());
    return std::nullopt;
  }
  return std::move(*j);
}

Jid AttrReader::jid(std::string_view key) {
  if (!get(key, true)) return {};
  return optional_jid(key).value_or(Jid{});
}

std::optional<std::int64_t> AttrReader::optional_int64(std::string_view key) {
  const auto* v = get(key, false);
  if (!v) return std::nullopt;
  std::int64_t out = 0;
  const auto* end = v->data() + v->size();
  auto [p, ec] = std::from_chars(v->data(), end, out);
  if (v->empty() || ec != std::errc{} || p != end) {
    fail(Errc::attr_invalid, key, "not an integer");
    return std::nullopt;
  }
  return out;
}

std::int64_t AttrReader::int64(std::string_view key) {
  if (!get(key, true)) return 0;
  return optional_int64(key).value_or(0);
}

std::uint64_t AttrReader::uint64(std::string_view key) {
  const auto* v = get(key, true);
  if (!v) return 0;
  std::uint64_t out = 0;
  const auto* end = v->data() + v->size();
  auto [p, ec] = std::from_chars(v->data(), end, out);
  if (v->empty() || ec != std::errc{} || p != end) {
    fail(Errc::attr_invalid, key, "not an unsigned integer");
    return 0;
  }
  return out;
}

bool AttrReader::boolean(std::string_view key) {
  const auto* v = get(key, true);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  fail(Errc::attr_invalid, key, "not a boolean");
  return false;
}

Result<void> AttrReader::check() const {
  if (errors_.empty()) return {};
  Error e = errors_.front();
  if (errors_.size() > 1) e.detail += " (+" + std::to_string(errors_.size() - 1) + " more)";
  return e;
}

}  // namespace wa::binary
