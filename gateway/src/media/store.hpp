#pragma once
// The media store: files under MEDIA_DIR named by a random id,
// never by user input, each with a row in the `media` table (migration 0009) that holds its
// session, mimetype, file name, size, SHA-256 and creation time. Incoming media are saved here
// and served by GET /media/:id (api/media_routes.cpp) under signed URLs (media/signing.hpp).
//
//   save:  bytes -> MEDIA_DIR/.tmp-<id> (fsync) -> rename to MEDIA_DIR/<id> -> INSERT the row.
//          A failure at any step leaves neither file nor row (a crash between rename and INSERT
//          leaves a file without a row, which the sweep removes).
//   sweep: rows older than MEDIA_RETENTION_DAYS go with their files; files without a row (their
//          session was deleted: the rows cascade) and stale temp files go after a grace period.
//
// Every member blocks on the file system and the given database connection: call them on the
// database's blocking pool (inside db::Database::run), never on an I/O thread.
// Thread safety: a Store is immutable after construction; members may run concurrently.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "db/connection.hpp"

namespace gw::media {

/// Characters of a media id: 32 lower-case hex (128 random bits).
inline constexpr std::size_t kIdChars = 32;

/// Whether `id` looks like a media id (so that it can name a file under MEDIA_DIR).
bool is_media_id(std::string_view id) noexcept;

/// One stored file, as its row says.
struct MediaRecord {
  std::string id;
  std::string session_id;
  std::string mimetype;   ///< as served in Content-Type
  std::string file_name;  ///< as served in Content-Disposition
  std::int64_t size = 0;
  std::string sha256;  ///< lower-case hex of the bytes
  std::int64_t created_ms = 0;
};

/// What a caller stores: the bytes and what it knows about them.
struct NewMedia {
  std::string session_id;
  std::string_view bytes;
  std::string mimetype;   ///< cleaned by clean_mimetype
  std::string file_name;  ///< cleaned by clean_file_name ("" gets a name from the mimetype)
};

struct StoreOptions {
  /// MEDIA_DIR (created when missing).
  std::filesystem::path dir;
  /// MEDIA_MAX_BYTES: save() refuses more.
  std::size_t max_bytes = 16 * 1024 * 1024;
  /// MEDIA_RETENTION_DAYS as a duration; zero keeps files forever.
  std::chrono::seconds retention{30LL * 24 * 3600};
  /// Files without a row (and temp files) younger than this are left alone by the sweep: they
  /// may belong to a save() between its rename and its INSERT.
  std::chrono::seconds orphan_grace{600};
};

/// A save() that cannot be done; nothing was left behind.
class StoreError : public std::runtime_error {
 public:
  enum class Kind { too_large, io };
  StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// What one sweep removed.
struct SweepResult {
  std::int64_t expired = 0;  ///< rows (and their files) older than the retention
  std::int64_t orphans = 0;  ///< files without a row, and stale temp files
};

class Store {
 public:
  /// Creates options.dir when missing; throws std::runtime_error when it cannot.
  explicit Store(StoreOptions options);

  [[nodiscard]] const StoreOptions& options() const noexcept { return options_; }

  /// Writes the bytes atomically, then the row; returns the record. Throws StoreError (too
  /// large, or a file-system failure) or db::DbError (e.g. an unknown session), in both cases
  /// with nothing left behind.
  MediaRecord save(db::Connection& c, const NewMedia& media, std::int64_t now_ms) const;

  /// The record of `id`, or nullopt (also for a string that is no media id).
  std::optional<MediaRecord> find(db::Connection& c, std::string_view id) const;

  /// `length` bytes of the file of `record` from `offset`; nullopt when the file is gone or
  /// shorter than that.
  std::optional<std::string> read(const MediaRecord& record, std::uint64_t offset,
                                  std::uint64_t length) const;

  /// Removes expired rows with their files, then orphan files (see above).
  SweepResult sweep(db::Connection& c, std::int64_t now_ms) const;

  /// MEDIA_DIR/<id>.
  [[nodiscard]] std::filesystem::path path_of(std::string_view id) const;

 private:
  StoreOptions options_;
};

/// A mimetype fit to be served: "type/subtype[; parameters]" of HTTP token characters, lower-cased
/// (parameters kept as given), at most 255 bytes; anything else is "application/octet-stream".
std::string clean_mimetype(std::string_view raw);

/// A file name fit for Content-Disposition: the last path component (after '/' or '\'), valid
/// UTF-8 (invalid bytes become U+FFFD), control characters dropped, surrounding spaces and leading
/// dots trimmed, at most 200 bytes (cut at a character boundary). An empty result becomes
/// "media.<extension of the mimetype>".
std::string clean_file_name(std::string_view raw, std::string_view mimetype);

}  // namespace gw::media
