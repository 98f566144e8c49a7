#pragma once
// Sub-commands of wa-tool that live in their own translation unit.
#include <span>
#include <string_view>

namespace wa_tool {

/// `wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] [--ca-file PEM]`.
int handshake(std::span<const std::string_view> args);

}  // namespace wa_tool
