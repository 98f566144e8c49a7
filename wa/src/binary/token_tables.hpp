#pragma once
// The dictionary-version-3 token tables (data in the generated token_tables.cpp).
#include <array>
#include <string_view>

namespace wa::binary::detail {

/// Index 0 is an unused empty string; single-byte tokens are 1..235.
extern const std::array<std::string_view, 236> kSingleByteTokens;
/// Four dictionaries of 256 tokens each, selected by tags DICTIONARY_0..3.
extern const std::array<std::array<std::string_view, 256>, 4> kDoubleByteTokens;

}  // namespace wa::binary::detail
