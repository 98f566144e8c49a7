#pragma once
// Values crossing the data layer, identical for SQLite and PostgreSQL.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gw::db {

enum class Dialect { sqlite, postgres };

/// Raw bytes (BLOB in SQLite, BYTEA in PostgreSQL); NUL bytes round-trip intact.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

/// A bound parameter or a result cell. Booleans are bound and read as 0/1 integers.
/// Timestamps are ISO-8601 UTC strings ("2026-11-24T10:15:30.123Z") on both backends.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

/// Failure of a database operation, with the one distinction callers act on.
class DbError : public std::runtime_error {
 public:
  enum class Kind {
    unavailable,       // cannot connect / connection lost / pool exhausted: retry later, HTTP 503
    unique_violation,  // a UNIQUE or PRIMARY KEY constraint refused the write
    constraint,        // another constraint (CHECK, FOREIGN KEY, NOT NULL)
    other,             // SQL error: a bug or a schema mismatch
  };
  DbError(Kind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// One result row; accessors throw DbError(other) on a type mismatch.
class Row {
 public:
  explicit Row(std::vector<Value> cells) : cells_(std::move(cells)) {}
  [[nodiscard]] size_t size() const { return cells_.size(); }
  [[nodiscard]] bool is_null(size_t i) const;
  [[nodiscard]] int64_t integer(size_t i) const;
  [[nodiscard]] double real(size_t i) const;
  [[nodiscard]] std::string text(size_t i) const;  // also converts numbers to text
  [[nodiscard]] std::string blob(size_t i) const;
  [[nodiscard]] std::optional<std::string> opt_text(size_t i) const;
  [[nodiscard]] std::optional<int64_t> opt_integer(size_t i) const;
  [[nodiscard]] const Value& at(size_t i) const;
  /// A text cell without a copy; valid while the row is (throws DbError(other) unless text).
  [[nodiscard]] std::string_view text_view(size_t i) const;
  /// The cell itself, for a backend that refills one row in place (Connection::for_each_row).
  [[nodiscard]] Value& at(size_t i);

 private:
  std::vector<Value> cells_;
};

struct Result {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

}  // namespace gw::db
