#pragma once
// Reads many attributes of a node and checks once: every failed read records an error and yields a
// default value, so handler code stays linear (read all, then `if (!r.ok()) return r.error()`).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"

namespace wa::binary {

/// Attribute reader accumulating errors. Thread safety: none (a short-lived local).
class AttrReader {
 public:
  explicit AttrReader(const Node& node) : node_(node) {}

  std::string string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  Jid jid(std::string_view key);
  std::optional<Jid> optional_jid(std::string_view key);
  std::int64_t int64(std::string_view key);
  std::optional<std::int64_t> optional_int64(std::string_view key);
  std::uint64_t uint64(std::string_view key);
  /// "true" / "false" (also "1" / "0").
  bool boolean(std::string_view key);

  bool ok() const noexcept { return errors_.empty(); }
  const std::vector<Error>& errors() const noexcept { return errors_; }
  /// Success, or the first error with the count of the others in its detail.
  Result<void> check() const;

 private:
  const std::string* get(std::string_view key, bool required);
  void fail(Errc code, std::string_view key, std::string_view why);

  const Node& node_;
  std::vector<Error> errors_;
};

}  // namespace wa::binary
