#include "db/value.hpp"

#include <charconv>
#include <utility>

namespace gw::db {

const Value& Row::at(size_t i) const {
  if (i >= cells_.size()) {
    throw DbError(DbError::Kind::other, "column index " + std::to_string(i) + " out of range");
  }
  return cells_[i];
}

Value& Row::at(size_t i) {
  return const_cast<Value&>(std::as_const(*this).at(i));
}

std::string_view Row::text_view(size_t i) const {
  if (auto s = std::get_if<std::string>(&at(i))) return *s;
  throw DbError(DbError::Kind::other, "column " + std::to_string(i) + " is not text");
}

bool Row::is_null(size_t i) const {
  return std::holds_alternative<std::nullptr_t>(at(i));
}

int64_t Row::integer(size_t i) const {
  const auto& v = at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (auto s = std::get_if<std::string>(&v)) {
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec == std::errc{} && ptr == s->data() + s->size()) return n;
  }
  throw DbError(DbError::Kind::other, "column " + std::to_string(i) + " is not an integer");
}

double Row::real(size_t i) const {
  const auto& v = at(i);
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto s = std::get_if<std::string>(&v)) {
    try {
      return std::stod(*s);
    } catch (const std::exception&) {
    }
  }
  throw DbError(DbError::Kind::other, "column " + std::to_string(i) + " is not a number");
}

std::string Row::text(size_t i) const {
  const auto& v = at(i);
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto d = std::get_if<double>(&v)) return std::to_string(*d);
  if (auto b = std::get_if<Blob>(&v)) return b->bytes;
  throw DbError(DbError::Kind::other, "column " + std::to_string(i) + " is NULL");
}

std::string Row::blob(size_t i) const {
  const auto& v = at(i);
  if (auto b = std::get_if<Blob>(&v)) return b->bytes;
  if (auto s = std::get_if<std::string>(&v)) return *s;
  throw DbError(DbError::Kind::other, "column " + std::to_string(i) + " is not a blob");
}

std::optional<std::string> Row::opt_text(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

std::optional<int64_t> Row::opt_integer(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

}  // namespace gw::db
