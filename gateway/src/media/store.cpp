#include "media/store.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "auth/crypto.hpp"
#include "log/log.hpp"
#include "util/strings.hpp"

namespace gw::media {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::size_t kMaxFileNameBytes = 200;
constexpr std::size_t kMaxMimetypeBytes = 255;
// Rows removed per statement, and ids per existence query of the orphan scan.
constexpr std::size_t kBatch = 200;

std::string errno_text(std::string_view what, const fs::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  // Closes now; false when close() reports an error (a write that did not make it).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

std::string sha256_hex(std::string_view bytes) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &n, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return auth::hex_encode(std::span<const std::uint8_t>(md.data(), n));
}

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw StoreError(StoreError::Kind::io, errno_text("cannot write", path));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Makes a rename in `dir` durable.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view extension_of(std::string_view mimetype) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kKnown = {{
      {"image/jpeg", "jpg"},
      {"image/png", "png"},
      {"image/gif", "gif"},
      {"image/webp", "webp"},
      {"video/mp4", "mp4"},
      {"video/3gpp", "3gp"},
      {"audio/ogg", "ogg"},
      {"audio/mpeg", "mp3"},
      {"audio/mp4", "m4a"},
      {"audio/aac", "aac"},
      {"application/pdf", "pdf"},
      {"text/plain", "txt"},
      {"application/zip", "zip"},
      {"text/vcard", "vcf"},
  }};
  const std::string_view bare = mimetype.substr(0, mimetype.find(';'));
  for (const auto& [type, ext] : kKnown) {
    if (bare == type) return ext;
  }
  return "bin";
}

MediaRecord record_of(const db::Row& r) {
  MediaRecord m;
  m.id = r.text(0);
  m.session_id = r.text(1);
  m.mimetype = r.text(2);
  m.file_name = r.text(3);
  m.size = r.integer(4);
  m.sha256 = r.text(5);
  m.created_ms = r.integer(6);
  return m;
}

// "?, ?, ?" for n parameters.
std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

}  // namespace

bool is_media_id(std::string_view id) noexcept {
  if (id.size() != kIdChars) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string clean_mimetype(std::string_view raw) {
  constexpr std::string_view kFallback = "application/octet-stream";
  const std::string_view value = util::trim(raw);
  const auto semi = value.find(';');
  const std::string_view type = util::trim(value.substr(0, semi));
  const auto slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == type.size() ||
      value.size() > kMaxMimetypeBytes) {
    return std::string(kFallback);
  }
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (i != slash && !is_token_char(type[i])) return std::string(kFallback);
  }
  std::string out = util::to_lower(type);
  if (semi != std::string_view::npos) {
    // Parameters (charset, codecs) as given, but nothing that could end the header early.
    const std::string_view params = value.substr(semi);
    for (char c : params) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7F) return out;
    }
    out += params;
  }
  return out;
}

std::string clean_file_name(std::string_view raw, std::string_view mimetype) {
  const auto cut = raw.find_last_of("/\\");
  if (cut != std::string_view::npos) raw.remove_prefix(cut + 1);
  const std::string text = util::to_storable_text(raw);
  // Drop C0 controls, DEL and the C1 range (U+0080-U+009F, encoded C2 80 - C2 9F).
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7F) continue;
    if (u == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        ++i;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  std::string_view v = util::trim(out);
  while (!v.empty() && v.front() == '.') v.remove_prefix(1);
  if (v.size() > kMaxFileNameBytes) {
    std::size_t end = kMaxFileNameBytes;
    // Back to the start of a character (never inside a UTF-8 continuation byte).
    while (end > 0 && (static_cast<unsigned char>(v[end]) & 0xC0) == 0x80) --end;
    v = util::trim(v.substr(0, end));
  }
  if (v.empty()) return "media." + std::string(extension_of(mimetype));
  return std::string(v);
}

Store::Store(StoreOptions options) : options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec || !fs::is_directory(options_.dir)) {
    throw std::runtime_error("cannot create the media directory " + options_.dir.string() +
                             (ec ? ": " + ec.message() : ""));
  }
}

fs::path Store::path_of(std::string_view id) const {
  return options_.dir / std::string(id);
}

MediaRecord Store::save(db::Connection& c, const NewMedia& media, std::int64_t now_ms) const {
  if (media.bytes.size() > options_.max_bytes) {
    throw StoreError(StoreError::Kind::too_large, "media of " + std::to_string(media.bytes.size()) +
                                                      " bytes is larger than MEDIA_MAX_BYTES (" +
                                                      std::to_string(options_.max_bytes) + ")");
  }
  MediaRecord rec;
  rec.id = auth::hex_encode(auth::random_bytes(kIdChars / 2));
  rec.session_id = media.session_id;
  rec.mimetype = clean_mimetype(media.mimetype);
  rec.file_name = clean_file_name(media.file_name, rec.mimetype);
  rec.size = static_cast<std::int64_t>(media.bytes.size());
  rec.sha256 = sha256_hex(media.bytes);
  rec.created_ms = now_ms;

  const fs::path final_path = path_of(rec.id);
  fs::path temp = options_.dir / (std::string(kTempPrefix) + rec.id);
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw StoreError(StoreError::Kind::io, errno_text("cannot create", temp));
    try {
      write_all(fd.get(), media.bytes, temp);
      if (::fsync(fd.get()) != 0) {
        throw StoreError(StoreError::Kind::io, errno_text("cannot sync", temp));
      }
      if (!fd.close()) throw StoreError(StoreError::Kind::io, errno_text("cannot close", temp));
      if (::rename(temp.c_str(), final_path.c_str()) != 0) {
        throw StoreError(StoreError::Kind::io, errno_text("cannot rename", temp));
      }
    } catch (...) {
      ::unlink(temp.c_str());
      throw;
    }
  }
  sync_dir(options_.dir);
  try {
    c.query(
        "INSERT INTO media (id, session_id, mimetype, file_name, size_bytes, sha256, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {rec.id, rec.session_id, rec.mimetype, rec.file_name, rec.size, rec.sha256,
         rec.created_ms});
  } catch (...) {
    ::unlink(final_path.c_str());
    throw;
  }
  return rec;
}

std::optional<MediaRecord> Store::find(db::Connection& c, std::string_view id) const {
  if (!is_media_id(id)) return std::nullopt;
  auto r = c.query(
      "SELECT id, session_id, mimetype, file_name, size_bytes, sha256, created_ms FROM media "
      "WHERE id = ?",
      {std::string(id)});
  if (r.rows.empty()) return std::nullopt;
  return record_of(r.rows.front());
}

std::optional<std::string> Store::read(const MediaRecord& record, std::uint64_t offset,
                                       std::uint64_t length) const {
  if (!is_media_id(record.id)) return std::nullopt;
  const fs::path path = path_of(record.id);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  std::string out(static_cast<std::size_t>(length), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // an error, or the file is shorter than its row says
    done += static_cast<std::size_t>(n);
  }
  return out;
}

SweepResult Store::sweep(db::Connection& c, std::int64_t now_ms) const {
  SweepResult result;
  // 1. Rows past the retention, a batch at a time: the row goes first, then its file (a file
  //    left behind by a failed unlink is an orphan for step 2).
  if (options_.retention.count() > 0) {
    const std::int64_t cutoff = now_ms - options_.retention.count() * 1000;
    for (;;) {
      auto r = c.query("SELECT id FROM media WHERE created_ms < ? ORDER BY created_ms LIMIT ?",
                       {cutoff, static_cast<std::int64_t>(kBatch)});
      if (r.rows.empty()) break;
      std::vector<db::Value> ids;
      for (const auto& row : r.rows) ids.emplace_back(row.text(0));
      c.query("DELETE FROM media WHERE id IN (" + placeholders(ids.size()) + ")", ids);
      for (const auto& id : ids) {
        std::error_code ec;
        fs::remove(path_of(std::get<std::string>(id)), ec);
      }
      result.expired += static_cast<std::int64_t>(ids.size());
      if (r.rows.size() < kBatch) break;
    }
  }

  // 2. Files without a row, and temp files of saves that never finished.
  const auto grace_cutoff = fs::file_time_type::clock::now() - options_.orphan_grace;
  std::vector<std::string> candidates;
  auto check_batch = [&] {
    if (candidates.empty()) return;
    std::vector<db::Value> params(candidates.begin(), candidates.end());
    auto r =
        c.query("SELECT id FROM media WHERE id IN (" + placeholders(params.size()) + ")", params);
    std::vector<std::string> known;
    for (const auto& row : r.rows) known.push_back(row.text(0));
    for (const auto& id : candidates) {
      if (std::find(known.begin(), known.end(), id) != known.end()) continue;
      std::error_code ec;
      if (fs::remove(path_of(id), ec)) ++result.orphans;
    }
    candidates.clear();
  };
  std::error_code ec;
  for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    if (!it->is_regular_file(sec)) continue;
    const auto mtime = it->last_write_time(sec);
    if (sec || mtime > grace_cutoff) continue;
    const std::string name = it->path().filename().string();
    if (name.starts_with(kTempPrefix)) {
      if (fs::remove(it->path(), sec)) ++result.orphans;
    } else if (is_media_id(name)) {
      candidates.push_back(name);
      if (candidates.size() == kBatch) check_batch();
    }
  }
  check_batch();
  if (ec) log::warn("media sweep: cannot list the media directory", {{"error", ec.message()}});
  return result;
}

}  // namespace gw::media
