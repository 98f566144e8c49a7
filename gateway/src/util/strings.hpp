#pragma once
// Small string helpers shared by the gateway.
#include <string>
#include <string_view>
#include <vector>

namespace gw::util {

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// ASCII lower-case copy.
std::string to_lower(std::string_view s);
/// Strips ASCII whitespace at both ends.
std::string_view trim(std::string_view s) noexcept;
/// Strips HTTP optional whitespace (spaces and tabs only) at both ends.
std::string_view trim_ows(std::string_view s) noexcept;
/// Splits on `sep`, trims each part, drops empty parts.
std::vector<std::string> split_list(std::string_view s, char sep);
/// Value of a hex digit, -1 when not one.
int hex_value(char c) noexcept;
/// `s` as text any database and JSON reader accepts: each byte that does not start a valid UTF-8
/// sequence (overlong forms, surrogates and code points above U+10FFFF included) and each NUL
/// becomes U+FFFD. Valid input comes back unchanged.
std::string to_storable_text(std::string_view s);

}  // namespace gw::util
