// wa-tool pair | connect | logout: the client (wa/client/client.hpp) with a SQLite device store.
//   wa-tool pair --url URL --root-key HEX --store FILE [--phone NUMBER] [options]
//       prints {"event":"qr",…} (or {"event":"pair_code",…}) lines, exits 0 once paired and logged
//       in; URL and root key are remembered in the store
//   wa-tool connect --store FILE [options]   logs in, prints every event until SIGINT (exit 0) or
//       until the client stops by itself (exit 3: logged out, replaced, …)
//   wa-tool logout --store FILE [options]    logs in, logs out (device removed, store wiped)
//   wa-tool listen --store FILE [--mark-read] [options]   logs in, prints every message and
//       receipt event (and the connection events) until SIGINT; --mark-read sends a read receipt
//       for every message received from someone else
//   wa-tool send --store FILE --to NUMBER_OR_JID --text TEXT [--quote ID [--quote-participant JID]
//       [--quote-text TEXT]] [--mention NUMBER_OR_JID]… [--typing-ms N] [--linger-ms N]
//       prints {"id","timestamp"} after the server's ack; exit 1 with the reason on stderr
//       otherwise. --typing-ms shows "typing…" for N ms first; --linger-ms stays connected N ms
//       after the ack (retry receipts are answered meanwhile)
//     instead of --text, one of: --image FILE | --video FILE | --audio FILE | --document FILE |
//       --sticker FILE (uploaded by the library), with [--caption TEXT] [--mimetype TYPE]
//       [--file-name NAME] [--seconds N] [--ptt] [--gif] [--waveform HEX] [--width N --height N]
//       [--page-count N]; or --location LAT,LNG [--name TEXT] [--address TEXT]; or
//       --contact NAME --vcard TEXT. --quote-type TYPE: the quoted message's content type
//   wa-tool upload --store FILE --type TYPE --file PATH [--repeat N]   encrypts and uploads the
//       file N times (default 1); one {"event":"uploaded", url, direct_path, media_key,
//       file_sha256, file_enc_sha256, file_length, ms, encrypt_ms} line each (hex byte strings;
//       ms = encrypt + upload; encrypt_ms = one more encryption of the file alone, timed apart)
//   wa-tool download --store FILE --type TYPE --media JSON --out PATH [--max-bytes N]
//       downloads, verifies and decrypts the attachment described by JSON (the fields of an
//       "uploaded" line); prints {"event":"downloaded","bytes","sha256"} or
//       {"event":"download_error","code","error"} (exit 1)
//   listen --download DIR [--max-bytes N]: every received attachment is downloaded to DIR/<id>
//       ({"event":"media","id","path","bytes","sha256"} or {"event":"media_error","id","code",…})
// TYPE: image, video, audio, document, sticker (wa::media::MediaType names).
// Options: --media-timeout-ms N (connect and idle timeout of media transfers), --ca-file PEM
//   (trusted besides the system CAs, e.g. the emulator's media CA), --push-name NAME,
// --qr-first-ms N, --qr-next-ms N, --keepalive-ms MIN,MAX,
//   --keepalive-timeout-ms N, --keepalive-dead-ms N, --backoff-ms BASE,CAP, --timeout-ms N,
//   --version A.B.C, --no-reconnect, --verbose (client diagnostics on stderr).
// Every event is one JSON line on stdout: {"event":"<name>", …}.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <variant>

#include "tool_commands.hpp"
#include "tool_util.hpp"
#include "wa/client/client.hpp"
#include "wa/crypto/primitives.hpp"
#include "wa/store/sqlite_store.hpp"

namespace wa_tool {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace wa::client;
using std::chrono::milliseconds;

using wa_tool::parse_key;

std::optional<long> parse_num(std::string_view v) {
  long n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

// "A,B" -> two numbers.
std::optional<std::pair<long, long>> parse_pair(std::string_view v) {
  const auto comma = v.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto a = parse_num(v.substr(0, comma)), b = parse_num(v.substr(comma + 1));
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

json::object media_json(const wa::message::MediaDescriptor& m) {
  return json::object{{"url", m.url},
                      {"direct_path", m.direct_path},
                      {"media_key", wa_tool::to_hex(m.media_key)},
                      {"file_sha256", wa_tool::to_hex(m.file_sha256)},
                      {"file_enc_sha256", wa_tool::to_hex(m.file_enc_sha256)},
                      {"file_length", m.file_length},
                      {"mimetype", m.mimetype},
                      {"file_name", m.file_name}};
}

// The JSON of media_json (or of an "uploaded" line) back into a descriptor.
std::optional<wa::message::MediaDescriptor> parse_media_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto str = [&](std::string_view k) -> std::string {
    const auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  wa::message::MediaDescriptor m;
  m.url = str("url");
  m.direct_path = str("direct_path");
  m.mimetype = str("mimetype");
  m.file_name = str("file_name");
  for (auto [key, field] : {std::pair{"media_key", &m.media_key},
                            {"file_sha256", &m.file_sha256},
                            {"file_enc_sha256", &m.file_enc_sha256}}) {
    auto b = wa_tool::from_hex(str(key));
    if (!b) return std::nullopt;
    *field = std::move(*b);
  }
  if (const auto* n = o.if_contains("file_length"); n && n->is_number())
    m.file_length = n->to_number<std::uint64_t>();
  return m;
}

json::value jid_json(const std::optional<wa::Jid>& j) {
  if (!j) return nullptr;
  return json::value(j->to_string());
}

json::object event_json(const Event& e) {
  json::object o;
  o["event"] = std::string(event_name(e));
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, QrCode>) {
          o["qr"] = ev.qr;
          o["expires_in"] = ev.expires_in.count();
          o["index"] = ev.index;
        } else if constexpr (std::is_same_v<T, PairCode>) {
          o["code"] = ev.code;
        } else if constexpr (std::is_same_v<T, Paired>) {
          o["jid"] = ev.jid.to_string();
          o["lid"] = jid_json(ev.lid);
          o["platform"] = ev.platform;
          o["business_name"] = ev.business_name;
        } else if constexpr (std::is_same_v<T, PairError>) {
          o["reason"] = ev.reason;
        } else if constexpr (std::is_same_v<T, Connected>) {
          o["jid"] = ev.jid.to_string();
          o["lid"] = jid_json(ev.lid);
        } else if constexpr (std::is_same_v<T, Disconnected>) {
          o["reason"] = std::string(to_string(ev.reason));
          o["code"] = ev.code;
          o["detail"] = ev.detail;
          o["will_reconnect"] = ev.will_reconnect;
          o["retry_in_ms"] = ev.retry_in.count();
        } else if constexpr (std::is_same_v<T, LoggedOut>) {
          o["reason"] = std::string(to_string(ev.reason));
        } else if constexpr (std::is_same_v<T, PrekeysUploaded>) {
          o["count"] = ev.count;
          o["server_count_before"] = ev.server_count_before;
        } else if constexpr (std::is_same_v<T, MessageReceived>) {
          const auto user = [](const std::optional<wa::Jid>& j) -> json::value {
            if (!j) return nullptr;
            return json::value(j->to_non_ad().to_string());
          };
          o["id"] = ev.id;
          o["chat"] = ev.chat.to_string();
          o["sender"] = user(ev.sender);
          o["sender_lid"] = user(ev.sender_lid);
          o["push_name"] = ev.push_name;
          o["timestamp"] = ev.timestamp;
          o["is_group"] = ev.is_group;
          o["is_from_me"] = ev.is_from_me;
          o["type"] = std::string(wa::message::to_string(ev.type));
          o["text"] = ev.text;
          json::array mentioned;
          for (const auto& m : ev.mentioned_jids) mentioned.emplace_back(m);
          o["mentioned_jids"] = std::move(mentioned);
          o["mentions_me"] = ev.mentions_me;
          if (ev.quoted) {
            o["quoted"] =
                json::object{{"id", ev.quoted->id},
                             {"participant", ev.quoted->participant},
                             {"type", std::string(wa::message::to_string(ev.quoted->type))},
                             {"text", ev.quoted->text}};
          } else {
            o["quoted"] = nullptr;
          }
          if (ev.media) {
            o["media"] = media_json(*ev.media);
          } else {
            o["media"] = nullptr;
          }
        } else if constexpr (std::is_same_v<T, ReceiptReceived>) {
          json::array ids;
          for (const auto& i : ev.ids) ids.emplace_back(i);
          o["ids"] = std::move(ids);
          o["chat"] = ev.chat.to_string();
          o["from"] = ev.from.to_string();
          o["type"] = ev.type;
        } else if constexpr (std::is_same_v<T, UndecryptableMessage>) {
          o["id"] = ev.id;
          o["chat"] = ev.chat.to_string();
          o["sender"] = ev.sender.to_string();
          o["reason"] = ev.reason;
          o["retry_count"] = ev.retry_count;
        }
      },
      e);
  return o;
}

void print(const json::object& o) {
  std::cout << json::serialize(o) << std::endl;
}

int usage(std::string_view cmd) {
  std::cerr << "usage: wa-tool " << cmd
            << (cmd == "pair" ? " --url URL --root-key HEX --store FILE [--phone NUMBER]"
                              : " --store FILE")
            << " [--push-name NAME] [--qr-first-ms N] [--qr-next-ms N] [--keepalive-ms MIN,MAX]"
               " [--keepalive-timeout-ms N] [--keepalive-dead-ms N] [--backoff-ms BASE,CAP]"
               " [--timeout-ms N] [--version A.B.C] [--no-reconnect] [--verbose]\n";
  return 2;
}

struct Args {
  std::optional<std::string> url, root_key, store, phone;
  std::optional<std::string> to, text, quote, quote_participant, quote_text;
  std::vector<std::string> mentions;
  bool mark_read = false;
  long typing_ms = 0, linger_ms = 0;
  std::optional<std::string> type, file, media, out, download_dir;
  // send: the content
  std::optional<std::string> content_kind, content_file, caption, mimetype, file_name, name,
      address, vcard, waveform, quote_type;
  std::optional<std::pair<double, double>> location;
  long seconds = 0, width = 0, height = 0, page_count = 0;
  bool ptt = false, gif = false;
  long repeat = 1;
  std::size_t max_bytes = std::size_t{100} << 20;
  Options opt;
  bool verbose = false;
};

std::optional<Args> parse_args(std::string_view cmd, std::span<const std::string_view> args) {
  Args a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto k = args[i];
    if (k == "--no-reconnect") {
      a.opt.auto_reconnect = false;
      continue;
    }
    if (k == "--verbose") {
      a.verbose = true;
      continue;
    }
    if ((k == "--ptt" || k == "--gif") && cmd == "send") {
      (k == "--ptt" ? a.ptt : a.gif) = true;
      continue;
    }
    if (k == "--mark-read" && cmd == "listen") {
      a.mark_read = true;
      continue;
    }
    if (i + 1 >= args.size()) return std::nullopt;
    const auto v = args[++i];
    if (k == "--url" && cmd == "pair") {
      a.url = std::string(v);
    } else if (k == "--root-key" && cmd == "pair") {
      a.root_key = std::string(v);
    } else if (k == "--phone" && cmd == "pair") {
      a.phone = std::string(v);
    } else if (k == "--to" && cmd == "send") {
      a.to = std::string(v);
    } else if (k == "--text" && cmd == "send") {
      a.text = std::string(v);
    } else if ((k == "--image" || k == "--video" || k == "--audio" || k == "--document" ||
                k == "--sticker" || k == "--contact") &&
               cmd == "send") {
      a.content_kind = std::string(k.substr(2));
      a.content_file = std::string(v);
    } else if (k == "--location" && cmd == "send") {
      const auto comma = v.find(',');
      if (comma == std::string_view::npos) return std::nullopt;
      try {
        a.location = std::pair{std::stod(std::string(v.substr(0, comma))),
                               std::stod(std::string(v.substr(comma + 1)))};
      } catch (const std::exception&) {
        return std::nullopt;
      }
      a.content_kind = "location";
    } else if (cmd == "send" &&
               (k == "--caption" || k == "--mimetype" || k == "--file-name" || k == "--name" ||
                k == "--address" || k == "--vcard" || k == "--waveform" || k == "--quote-type")) {
      auto& field = k == "--caption"     ? a.caption
                    : k == "--mimetype"  ? a.mimetype
                    : k == "--file-name" ? a.file_name
                    : k == "--name"      ? a.name
                    : k == "--address"   ? a.address
                    : k == "--vcard"     ? a.vcard
                    : k == "--waveform"  ? a.waveform
                                         : a.quote_type;
      field = std::string(v);
    } else if (cmd == "send" &&
               (k == "--seconds" || k == "--width" || k == "--height" || k == "--page-count")) {
      auto n = parse_num(v);
      if (!n) return std::nullopt;
      (k == "--seconds"  ? a.seconds
       : k == "--width"  ? a.width
       : k == "--height" ? a.height
                         : a.page_count) = *n;
    } else if (k == "--quote" && cmd == "send") {
      a.quote = std::string(v);
    } else if (k == "--quote-participant" && cmd == "send") {
      a.quote_participant = std::string(v);
    } else if (k == "--quote-text" && cmd == "send") {
      a.quote_text = std::string(v);
    } else if (k == "--mention" && cmd == "send") {
      a.mentions.emplace_back(v);
    } else if ((k == "--typing-ms" || k == "--linger-ms") && cmd == "send") {
      auto n = parse_num(v);
      if (!n) return std::nullopt;
      (k == "--typing-ms" ? a.typing_ms : a.linger_ms) = *n;
    } else if (k == "--type" && (cmd == "upload" || cmd == "download")) {
      a.type = std::string(v);
    } else if (k == "--file" && cmd == "upload") {
      a.file = std::string(v);
    } else if (k == "--media" && cmd == "download") {
      a.media = std::string(v);
    } else if (k == "--out" && cmd == "download") {
      a.out = std::string(v);
    } else if (k == "--download" && cmd == "listen") {
      a.download_dir = std::string(v);
    } else if ((k == "--repeat" && cmd == "upload") ||
               (k == "--max-bytes" && (cmd == "download" || cmd == "listen"))) {
      auto n = parse_num(v);
      if (!n || *n == 0) return std::nullopt;
      if (k == "--repeat") a.repeat = *n;
      if (k == "--max-bytes") a.max_bytes = static_cast<std::size_t>(*n);
    } else if (k == "--ca-file") {
      a.opt.extra_ca_file = std::string(v);
    } else if (k == "--media-timeout-ms") {
      auto n = parse_num(v);
      if (!n || *n == 0) return std::nullopt;
      a.opt.media_connect_timeout = a.opt.media_idle_timeout = milliseconds(*n);
    } else if (k == "--store") {
      a.store = std::string(v);
    } else if (k == "--push-name") {
      a.opt.push_name = std::string(v);
    } else if (k == "--qr-first-ms" || k == "--qr-next-ms" || k == "--keepalive-timeout-ms" ||
               k == "--keepalive-dead-ms" || k == "--timeout-ms") {
      auto n = parse_num(v);
      if (!n || *n == 0) return std::nullopt;
      const milliseconds ms(*n);
      if (k == "--qr-first-ms") a.opt.qr_first = ms;
      if (k == "--qr-next-ms") a.opt.qr_next = ms;
      if (k == "--keepalive-timeout-ms") a.opt.keepalive_timeout = ms;
      if (k == "--keepalive-dead-ms") a.opt.keepalive_dead_after = ms;
      if (k == "--timeout-ms") a.opt.connect_timeout = a.opt.iq_timeout = ms;
    } else if (k == "--keepalive-ms" || k == "--backoff-ms") {
      auto p = parse_pair(v);
      if (!p || p->first == 0 || p->second < p->first) return std::nullopt;
      if (k == "--keepalive-ms") {
        a.opt.keepalive_min = milliseconds(p->first);
        a.opt.keepalive_max = milliseconds(p->second);
      } else {
        a.opt.backoff_base = milliseconds(p->first);
        a.opt.backoff_cap = milliseconds(p->second);
      }
    } else if (k == "--version") {
      std::array<std::uint32_t, 3> ver{};
      std::size_t pos = 0;
      for (int part = 0; part < 3; ++part) {
        const auto dot = part < 2 ? v.find('.', pos) : v.size();
        if (dot == std::string_view::npos) return std::nullopt;
        auto n = parse_num(v.substr(pos, dot - pos));
        if (!n) return std::nullopt;
        ver[static_cast<std::size_t>(part)] = static_cast<std::uint32_t>(*n);
        pos = dot + 1;
      }
      a.opt.version = ver;
    } else {
      return std::nullopt;
    }
  }
  if (!a.store) return std::nullopt;
  if (cmd == "pair" && (!a.url || !a.root_key)) return std::nullopt;
  if (cmd == "send" && (!a.to || (!a.text && !a.content_kind))) return std::nullopt;
  if (cmd == "upload" && (!a.type || !a.file)) return std::nullopt;
  if (cmd == "download" && (!a.type || !a.media || !a.out)) return std::nullopt;
  return a;
}

// "+49 151 …" or "4915…" -> a phone-number JID; anything with '@' is parsed as a JID.
std::optional<wa::Jid> user_arg(std::string_view v) {
  if (v.find('@') != std::string_view::npos) {
    auto j = wa::Jid::parse(v);
    if (!j) return std::nullopt;
    return *j;
  }
  std::string digits;
  for (char ch : v)
    if (ch >= '0' && ch <= '9') digits.push_back(ch);
  if (digits.empty()) return std::nullopt;
  return wa::Jid::user_jid(digits);
}

enum class Mode { pair, connect, logout, listen, send, upload, download };

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path);

// The content of `send` from its flags; an error text when a file cannot be read.
std::variant<OutgoingMessage, std::string> outgoing_of(const Args& a) {
  namespace o = wa::client::out;
  if (!a.content_kind) return OutgoingMessage{o::Text{*a.text}};
  const auto& kind = *a.content_kind;
  if (kind == "location")
    return OutgoingMessage{o::Location{a.location->first, a.location->second, a.name.value_or(""),
                                       a.address.value_or("")}};
  if (kind == "contact") return OutgoingMessage{o::Contact{*a.content_file, a.vcard.value_or("")}};
  auto bytes = read_file(*a.content_file);
  if (!bytes) return "cannot read " + *a.content_file;
  wa::client::MediaInput in{std::move(*bytes), {}};
  const auto w = static_cast<std::uint32_t>(a.width), h = static_cast<std::uint32_t>(a.height);
  const auto secs = static_cast<std::uint32_t>(a.seconds);
  const auto caption = a.caption.value_or("");
  if (kind == "image") {
    o::Image x;
    x.media = std::move(in);
    if (a.mimetype) x.mimetype = *a.mimetype;
    x.caption = caption;
    x.width = w;
    x.height = h;
    return OutgoingMessage{std::move(x)};
  }
  if (kind == "video") {
    o::Video x;
    x.media = std::move(in);
    if (a.mimetype) x.mimetype = *a.mimetype;
    x.caption = caption;
    x.seconds = secs;
    x.gif_playback = a.gif;
    x.width = w;
    x.height = h;
    return OutgoingMessage{std::move(x)};
  }
  if (kind == "audio") {
    o::Audio x;
    x.media = std::move(in);
    if (a.mimetype) x.mimetype = *a.mimetype;
    x.seconds = secs;
    x.ptt = a.ptt;
    if (a.waveform)
      x.waveform = wa_tool::from_hex(*a.waveform).value_or(std::vector<std::uint8_t>{});
    return OutgoingMessage{std::move(x)};
  }
  if (kind == "document") {
    o::Document x;
    x.media = std::move(in);
    if (a.mimetype) x.mimetype = *a.mimetype;
    x.file_name = a.file_name.value_or("");
    x.caption = caption;
    x.page_count = static_cast<std::uint32_t>(a.page_count);
    return OutgoingMessage{std::move(x)};
  }
  o::Sticker x;
  x.media = std::move(in);
  if (a.mimetype) x.mimetype = *a.mimetype;
  x.width = w;
  x.height = h;
  return OutgoingMessage{std::move(x)};
}

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Writes through a temporary name and renames: a failed write leaves nothing behind.
bool write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  const auto tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

json::object error_json(std::string_view event, const wa::Error& e) {
  return json::object{{"event", event}, {"code", wa::errc_name(e.code)}, {"error", e.message()}};
}

// A coroutine function, not a capturing lambda: the frame owns its arguments.
asio::awaitable<void> listen_download_task(Client& client, wa::message::MediaDescriptor media,
                                           wa::media::MediaType type, std::string id,
                                           std::string path, std::size_t max_bytes) {
  auto r = co_await client.download_media(media, type, max_bytes);
  if (!r) {
    auto o = error_json("media_error", r.error());
    o["id"] = id;
    co_return print(o);
  }
  if (!write_file(path, *r)) {
    co_return print(json::object{{"event", "media_error"},
                                 {"id", id},
                                 {"code", "write"},
                                 {"error", "cannot write " + path}});
  }
  print(json::object{{"event", "media"},
                     {"id", id},
                     {"path", path},
                     {"bytes", r->size()},
                     {"sha256", wa_tool::to_hex(wa::crypto::sha256({*r}))}});
}

// A coroutine function, not a capturing lambda: the frame owns its arguments.
asio::awaitable<void> mark_read_task(Client& client, wa::Jid chat, std::vector<std::string> ids,
                                     std::optional<wa::Jid> sender) {
  if (auto r = co_await client.mark_read(std::move(chat), std::move(ids), std::move(sender)); !r)
    std::cerr << "listen: mark_read: " << r.error().message() << '\n';
}

int run(Mode mode, std::string_view cmd, std::span<const std::string_view> raw) {
  auto args = parse_args(cmd, raw);
  if (!args) return usage(cmd);
  auto opened = wa::store::SqliteStore::open(*args->store);
  if (!opened) {
    std::cerr << cmd << ": store: " << opened.error().message() << '\n';
    return 1;
  }
  auto& store = **opened;
  if (mode == Mode::pair) {
    auto key = parse_key(*args->root_key);
    if (!key) {
      std::cerr << "pair: --root-key must be 64 hex digits\n";
      return 2;
    }
    if (auto r = store.set_meta("url", *args->url); !r) {
      std::cerr << "pair: store: " << r.error().message() << '\n';
      return 1;
    }
    if (auto r = store.set_meta("root_key", to_hex(*key)); !r) {
      std::cerr << "pair: store: " << r.error().message() << '\n';
      return 1;
    }
  }
  auto url = store.get_meta("url");
  auto root = store.get_meta("root_key");
  if (!url || !root || !*url || !*root) {
    std::cerr << cmd << ": the store has no URL/root key: pair it first with wa-tool pair\n";
    return 1;
  }
  auto key = parse_key(**root);
  if (!key) {
    std::cerr << cmd << ": the stored root key is invalid\n";
    return 1;
  }
  std::optional<wa::Jid> to;
  SendOptions send_opt;
  OutgoingMessage outgoing;
  if (mode == Mode::send) {
    to = user_arg(*args->to);
    if (!to) {
      std::cerr << "send: --to must be a phone number or a JID\n";
      return 2;
    }
    for (const auto& m : args->mentions) {
      auto j = user_arg(m);
      if (!j) {
        std::cerr << "send: bad --mention " << m << '\n';
        return 2;
      }
      send_opt.mentions.push_back(*j);
    }
    if (args->quote)
      send_opt.quote = SendOptions::Quote{
          *args->quote, args->quote_participant.value_or(to->to_non_ad().to_string()),
          args->quote_text.value_or(""), wa::message::ContentType::text};
    if (args->quote_type) {
      static constexpr wa::message::ContentType kTypes[] = {
          wa::message::ContentType::text,     wa::message::ContentType::image,
          wa::message::ContentType::video,    wa::message::ContentType::audio,
          wa::message::ContentType::document, wa::message::ContentType::sticker,
          wa::message::ContentType::location, wa::message::ContentType::contact};
      bool known = false;
      for (auto t : kTypes)
        if (send_opt.quote && wa::message::to_string(t) == *args->quote_type) {
          send_opt.quote->type = t;
          known = true;
        }
      if (!known) {
        std::cerr << "send: --quote-type needs --quote and a content type name\n";
        return 2;
      }
    }
    auto content = outgoing_of(*args);
    if (auto* err = std::get_if<std::string>(&content)) {
      std::cerr << "send: " << *err << '\n';
      return 2;
    }
    outgoing = std::move(std::get<OutgoingMessage>(content));
  }
  std::optional<wa::media::MediaType> media_type;
  if (args->type) {
    media_type = wa::media::media_type_from_string(*args->type);
    if (!media_type) {
      std::cerr << cmd << ": unknown --type " << *args->type << '\n';
      return 2;
    }
  }
  std::optional<std::vector<std::uint8_t>> upload_bytes;
  if (mode == Mode::upload) {
    upload_bytes = read_file(*args->file);
    if (!upload_bytes) {
      std::cerr << "upload: cannot read " << *args->file << '\n';
      return 2;
    }
  }
  std::optional<wa::message::MediaDescriptor> descriptor;
  if (mode == Mode::download) {
    descriptor = parse_media_json(*args->media);
    if (!descriptor) {
      std::cerr << "download: --media must be the JSON of an uploaded line\n";
      return 2;
    }
  }
  if (mode != Mode::pair) {
    auto dev = store.load_device();
    if (!dev || !dev->has_value() || !(**dev).paired()) {
      std::cerr << cmd << ": the store holds no paired device\n";
      return 1;
    }
  }
  Options opt = args->opt;
  opt.url = **url;
  opt.root_key = *key;
  if (args->verbose)
    opt.log = [](int level, std::string_view m) {
      std::cerr << (level ? "warning: " : "info: ") << m << '\n';
    };

  asio::io_context io;
  int rc = 1;
  bool paired_now = false, finishing = false, logout_started = false;
  std::unique_ptr<Client> client;
  const auto finish = [&](int code) {
    if (finishing) return;
    finishing = true;
    rc = code;
    client->disconnect();
  };
  bool send_started = false;
  client = std::make_unique<Client>(io.get_executor(), store, opt, [&](const Event& e) {
    // `send`, `upload` and `download` print only their results; the others print every event.
    if (mode != Mode::send && mode != Mode::upload && mode != Mode::download) print(event_json(e));
    if (const auto* m = std::get_if<MessageReceived>(&e); m && args->download_dir && m->media) {
      if (auto t = wa::media::media_type_of(m->type)) {
        auto media = *m->media;
        auto id = m->id;
        auto path = *args->download_dir + "/" + m->id;
        asio::co_spawn(io, listen_download_task(*client, media, *t, id, path, args->max_bytes),
                       asio::detached);
      }
    }
    if (const auto* m = std::get_if<MessageReceived>(&e); m && args->mark_read && !m->is_from_me) {
      std::vector<std::string> ids{m->id};
      std::optional<wa::Jid> sender = m->sender ? m->sender : m->sender_lid;
      asio::co_spawn(io, mark_read_task(*client, m->chat, std::move(ids), sender), asio::detached);
    }
    if (std::holds_alternative<Paired>(e)) paired_now = true;
    if (const auto* d = std::get_if<Disconnected>(&e); d && !d->will_reconnect) {
      // The run loop emits LoggedOut / QrTimeout right after; stop once it has.
      if (!finishing) rc = (mode == Mode::connect || mode == Mode::listen) ? 3 : 1;
      if ((mode == Mode::send || mode == Mode::upload || mode == Mode::download) && !finishing)
        std::cerr << cmd << ": disconnected: " << to_string(d->reason) << " " << d->detail << '\n';
      finishing = true;
      asio::post(io, [&io] { io.stop(); });
      return;
    }
    if (std::holds_alternative<Connected>(e)) {
      if (mode == Mode::pair) {
        (void)paired_now;  // paired earlier in this run, or already paired: both count
        finish(0);
      } else if (mode == Mode::send && !send_started) {
        send_started = true;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              asio::steady_timer timer(io);
              if (args->typing_ms > 0) {
                (void)co_await client->send_chat_presence(*to, true);
                timer.expires_after(milliseconds(args->typing_ms));
                co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                (void)co_await client->send_chat_presence(*to, false);
              }
              auto r = co_await client->send_message(*to, outgoing, send_opt);
              if (r) {
                print(json::object{{"id", r->id}, {"timestamp", r->timestamp}});
                if (args->linger_ms > 0) {
                  timer.expires_after(milliseconds(args->linger_ms));
                  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                }
              } else {
                std::cerr << "send: " << r.error().message() << '\n';
              }
              finish(r ? 0 : 1);
            },
            asio::detached);
      } else if (mode == Mode::upload && !send_started) {
        send_started = true;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              bool ok = true;
              for (long i = 0; i < args->repeat && ok; ++i) {
                // The encryption alone, timed apart (not part of the upload measured below).
                const auto e0 = std::chrono::steady_clock::now();
                auto alone = wa::media::encrypt(*upload_bytes, *media_type);
                const auto encrypt_ms =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - e0)
                        .count();
                if (!alone) std::cerr << "upload: " << alone.error().message() << '\n';
                const auto t0 = std::chrono::steady_clock::now();
                auto r = co_await client->upload_media(*media_type, *upload_bytes);
                const auto ms =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
                if (!r) {
                  print(error_json("upload_error", r.error()));
                  std::cerr << "upload: " << r.error().message() << '\n';
                  ok = false;
                  break;
                }
                wa::message::MediaDescriptor d;
                d.url = r->url;
                d.direct_path = r->direct_path;
                d.media_key = r->media_key;
                d.file_sha256 = r->file_sha256;
                d.file_enc_sha256 = r->file_enc_sha256;
                d.file_length = r->file_length;
                auto o = media_json(d);
                o["event"] = "uploaded";
                o["ms"] = ms;
                o["encrypt_ms"] = encrypt_ms;
                print(o);
              }
              finish(ok ? 0 : 1);
            },
            asio::detached);
      } else if (mode == Mode::download && !send_started) {
        send_started = true;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto r = co_await client->download_media(*descriptor, *media_type, args->max_bytes);
              if (!r) {
                print(error_json("download_error", r.error()));
                std::cerr << "download: " << r.error().message() << '\n';
                co_return finish(1);
              }
              if (!write_file(*args->out, *r)) {
                std::cerr << "download: cannot write " << *args->out << '\n';
                co_return finish(1);
              }
              print(json::object{{"event", "downloaded"},
                                 {"bytes", r->size()},
                                 {"sha256", wa_tool::to_hex(wa::crypto::sha256({*r}))}});
              finish(0);
            },
            asio::detached);
      } else if (mode == Mode::logout && !logout_started) {
        logout_started = true;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto r = co_await client->logout();
              json::object o{{"event", "logout_result"}, {"ok", r.ok()}};
              if (!r) o["error"] = r.error().message();
              print(o);
              finishing = true;
              rc = r ? 0 : 1;
            },
            asio::detached);
      }
    }
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish(0);
  });
  if (args->phone) client->pair_phone(*args->phone);
  client->connect();
  io.run();
  client.reset();
  return rc;
}

}  // namespace

int pair(std::span<const std::string_view> args) {
  return run(Mode::pair, "pair", args);
}
int connect(std::span<const std::string_view> args) {
  return run(Mode::connect, "connect", args);
}
int logout(std::span<const std::string_view> args) {
  return run(Mode::logout, "logout", args);
}
int listen(std::span<const std::string_view> args) {
  return run(Mode::listen, "listen", args);
}
int send(std::span<const std::string_view> args) {
  return run(Mode::send, "send", args);
}
int upload(std::span<const std::string_view> args) {
  return run(Mode::upload, "upload", args);
}
int download(std::span<const std::string_view> args) {
  return run(Mode::download, "download", args);
}

}  // namespace wa_tool
