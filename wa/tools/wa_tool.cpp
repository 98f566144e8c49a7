// wa-tool: a debugging CLI for the WhatsApp wire layer.
//   wa-tool node decode HEX        print the node of a transport payload (flag byte + node) as JSON
//   wa-tool node decode -          same, one HEX per stdin line, one JSON line (or error line) each
//   wa-tool node encode            node JSON per stdin line -> hex payload per line (flag byte
//   incl.) wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] [--ca-file PEM] wa-tool
//   pair | connect | logout | listen | send   the client with a SQLite device store
//       (client_cmds.cpp)
// Exit status: 0 on success, 1 on bad input or a failed operation, 2 on usage errors.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "tool_commands.hpp"
#include "wa/binary/node.hpp"
#include "wa/binary/node_json.hpp"
#include "wa/hex.hpp"

namespace {

int usage() {
  std::cerr
      << "usage: wa-tool node decode HEX|-\n"
         "       wa-tool node encode < nodes.jsonl\n"
         "       wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] [--ca-file PEM]\n"
         "       wa-tool pair --url URL --root-key HEX --store FILE [--phone NUMBER] [options]\n"
         "       wa-tool connect --store FILE [options]\n"
         "       wa-tool logout --store FILE [options]\n"
         "       wa-tool listen --store FILE [options]\n"
         "       wa-tool send --store FILE --to NUMBER_OR_JID --text TEXT [--quote ID]"
         " [--quote-participant JID] [--quote-text TEXT] [--quote-type TYPE] [--mention NUMBER]…"
         " [options]\n"
         "       wa-tool send --store FILE --to NUMBER_OR_JID (--image|--video|--audio|--document|"
         "--sticker FILE | --location LAT,LNG | --contact NAME --vcard TEXT) [--caption TEXT]"
         " [--mimetype TYPE] [--file-name NAME] [--seconds N] [--ptt] [--gif] [--waveform HEX]"
         " [--width N --height N] [--page-count N] [--name TEXT] [--address TEXT] [options]\n"
         "       wa-tool upload --store FILE --type TYPE --file PATH [--repeat N] [options]\n"
         "       wa-tool download --store FILE --type TYPE --media JSON --out PATH"
         " [--max-bytes N] [options]\n";
  return 2;
}

bool parse_hex(std::string_view s, wa::binary::Bytes& out) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  if (s.size() % 2) return false;
  out.resize(s.size() / 2);
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = val(s[2 * i]), lo = val(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Decodes one hex payload; prints JSON or an {"error"} line. Returns false on failure.
bool decode_one(std::string_view hex) {
  wa::binary::Bytes bytes;
  if (!parse_hex(hex, bytes)) {
    std::cout << R"({"error":"invalid_argument: bad hex"})" << '\n';
    return false;
  }
  auto node = wa::binary::decode(bytes);
  if (!node) {
    std::cout << R"({"error":")" << wa::errc_name(node.error().code) << "\"}\n";
    return false;
  }
  std::cout << wa::binary::node_to_json_string(*node) << '\n';
  return true;
}

int node_decode(std::string_view arg) {
  if (arg != "-") return decode_one(arg) ? 0 : 1;
  bool all_ok = true;
  std::string line;
  while (std::getline(std::cin, line)) all_ok = decode_one(line) && all_ok;
  return all_ok ? 0 : 1;
}

int node_encode() {
  bool all_ok = true;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto node = wa::binary::parse_node_json(line);
    wa::Result<wa::binary::Bytes> bytes =
        node ? wa::binary::encode(*node) : wa::Result<wa::binary::Bytes>(node.error());
    if (!bytes) {
      std::cout << "error: " << bytes.error().message() << '\n';
      all_ok = false;
      continue;
    }
    std::cout << wa::hex::encode(*bytes) << '\n';
  }
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string_view> vec(argv + 1, argv + argc);
  const std::span<const std::string_view> args(vec);
  if (args.size() >= 2 && args[0] == "node") {
    if (args[1] == "decode" && args.size() == 3) return node_decode(args[2]);
    if (args[1] == "encode" && args.size() == 2) return node_encode();
    return usage();
  }
  if (!args.empty() && args[0] == "handshake") return wa_tool::handshake(args.subspan(1));
  if (!args.empty() && args[0] == "pair") return wa_tool::pair(args.subspan(1));
  if (!args.empty() && args[0] == "connect") return wa_tool::connect(args.subspan(1));
  if (!args.empty() && args[0] == "logout") return wa_tool::logout(args.subspan(1));
  if (!args.empty() && args[0] == "listen") return wa_tool::listen(args.subspan(1));
  if (!args.empty() && args[0] == "send") return wa_tool::send(args.subspan(1));
  if (!args.empty() && args[0] == "upload") return wa_tool::upload(args.subspan(1));
  if (!args.empty() && args[0] == "download") return wa_tool::download(args.subspan(1));
  return usage();
}
