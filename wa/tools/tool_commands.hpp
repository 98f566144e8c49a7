#pragma once
// Sub-commands of wa-tool that live in their own translation unit.
#include <span>
#include <string_view>

namespace wa_tool {

/// `wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] [--ca-file PEM]`.
int handshake(std::span<const std::string_view> args);

/// `wa-tool pair --url URL --root-key HEX --store FILE [--phone NUMBER] …` (client_cmds.cpp).
int pair(std::span<const std::string_view> args);
/// `wa-tool connect --store FILE …`: logs in and prints every event until SIGINT.
int connect(std::span<const std::string_view> args);
/// `wa-tool logout --store FILE …`: logs in, then logs out (remove-companion-device, wipe).
int logout(std::span<const std::string_view> args);
/// `wa-tool listen --store FILE …`: logs in and prints message and receipt events as JSON lines.
int listen(std::span<const std::string_view> args);
/// `wa-tool send --store FILE --to NUMBER_OR_JID --text TEXT …`: sends one text, prints
/// {"id","timestamp"} after the server's ack.
int send(std::span<const std::string_view> args);

/// `wa-tool upload --store FILE --type TYPE --file PATH [--repeat N]`: encrypts and uploads.
int upload(std::span<const std::string_view> args);
/// `wa-tool download --store FILE --type TYPE --media JSON --out PATH [--max-bytes N]`.
int download(std::span<const std::string_view> args);

}  // namespace wa_tool
