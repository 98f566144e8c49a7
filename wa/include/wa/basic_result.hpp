#pragma once
// A value or an error of type E (a minimal std::expected for C++20). wa::Result<T> is
// BasicResult<T, wa::Error>; the store, Signal and ADV layers use it with their own error types.
// E must be an aggregate with a member `code` of an enum type whose 0 value means "ok".
#include <string>
#include <utility>
#include <variant>

namespace wa {

template <class T, class E>
class [[nodiscard]] BasicResult {
 public:
  using code_type = decltype(E::code);

  BasicResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  BasicResult(E e) : v_(std::in_place_index<1>, std::move(e)) {}          // NOLINT(implicit)
  BasicResult(code_type c, std::string detail = {})
      : v_(std::in_place_index<1>, E{c, std::move(detail)}) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }
  code_type code() const noexcept { return ok() ? code_type{} : std::get<1>(v_).code; }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] BasicResult<void, E> {
 public:
  using code_type = decltype(E::code);

  BasicResult() = default;
  BasicResult(E e) : err_(std::move(e)) {}  // NOLINT(implicit)
  BasicResult(code_type c, std::string detail = {}) : err_{c, std::move(detail)} {}

  bool ok() const noexcept { return err_.code == code_type{}; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& { return err_; }
  E&& error() && { return std::move(err_); }
  code_type code() const noexcept { return err_.code; }

 private:
  E err_{};
};

}  // namespace wa
