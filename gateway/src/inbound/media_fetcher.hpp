#pragma once
// The background download of incoming media (docs/API.md "Incoming media"): for each session with
// pending incoming_media jobs (media_jobs.hpp), one drain at a time takes them oldest first,
// downloads, verifies and decrypts the file through the session's connection
// (sessions::Manager::download_media), saves it in the media store and finishes the job — which
// releases the message's webhook with its media_url — or fails it with the library's reason.
//
// When to try again: a transient failure (timeout, transport error, a 5xx from the media host)
// is retried after a short delay up to `max_attempts` attempts in all (attempts are counted in the
// row, so a crash loop ends too); a permanent one (tampered or garbage file: hash or MAC mismatch,
// a descriptor without keys, too large) fails at once. When the host no longer has the file
// (403/404/410: WhatsApp keeps media for a limited time), the account's own phone is asked once
// to upload it again (a media retry, docs/PROTOCOL.md §8.6) and the download is tried from the new
// path; if the phone cannot, the job fails with both reasons. A
// disconnected session stops its drain; the manager wakes it again on the next connect, which
// also resumes what a restart left pending.
//
// Threads: coroutines on the executor given (the HTTP I/O context), database and file work on
// the database's blocking pool, downloads on the session's strand. wake() may be called from any
// thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "db/database.hpp"
#include "inbound/media_jobs.hpp"
#include "media/store.hpp"
#include "sessions/manager.hpp"

namespace gw::inbound {

struct MediaFetcherOptions {
  int max_attempts = 3;
  std::chrono::milliseconds retry_delay{2'000};
  /// How long the phone may take to upload an expired file again.
  std::chrono::milliseconds reupload_timeout{20'000};
  /// A job ended and its webhook (if any) is due now: wakes the delivery worker. Must not block.
  std::function<void()> finished;
};

/// Whether a download error is worth another attempt (see above).
bool transient_media_error(const wa::Error& e);
/// Whether a download error says the media host no longer has the file (403, 404, 410).
bool gone_from_host(const wa::Error& e);

class MediaFetcher {
 public:
  MediaFetcher(boost::asio::any_io_executor ex, db::Database& db, sessions::Manager& sessions,
               const media::Store& store, MediaFetcherOptions options);
  MediaFetcher(const MediaFetcher&) = delete;
  MediaFetcher& operator=(const MediaFetcher&) = delete;

  /// The session may have pending jobs: drain them (at once, or after the running drain).
  void wake(const std::string& session_id);
  /// Stops taking new jobs; a download in flight ends on its own (its job stays pending if the
  /// process exits first).
  void stop();

  [[nodiscard]] uint64_t stored() const noexcept { return stored_.load(); }
  [[nodiscard]] uint64_t failed() const noexcept { return failed_.load(); }
  /// Files the phone uploaded again after the host had dropped them.
  [[nodiscard]] uint64_t reuploads() const noexcept { return reuploads_.load(); }

 private:
  boost::asio::awaitable<void> drain(std::string session_id);
  // One job: true when the drain goes on, false when it must stop (disconnected, store failing).
  boost::asio::awaitable<bool> fetch(MediaJob job);
  // The host dropped the file: asks the phone for it again; the job's new direct path, or why not.
  boost::asio::awaitable<wa::Result<std::string>> reupload(MediaJob& job);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  db::Database& db_;
  sessions::Manager& sessions_;
  const media::Store& store_;
  MediaFetcherOptions options_;
  std::atomic<bool> running_{true};
  std::set<std::string> draining_;  // on strand_
  std::set<std::string> again_;     // on strand_: woken while draining
  std::atomic<uint64_t> stored_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> reuploads_{0};
};

}  // namespace gw::inbound
