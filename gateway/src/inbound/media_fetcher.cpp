#include "inbound/media_fetcher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "log/log.hpp"
#include "util/time.hpp"

namespace gw::inbound {

namespace asio = boost::asio;

namespace {
constexpr int kBatch = 16;

// The status of a media_http error ("HTTP 404…"), 0 when it carries none.
int http_status(const wa::Error& e) {
  if (e.code != wa::Errc::media_http || !e.detail.starts_with("HTTP ")) return 0;
  int status = 0;
  for (std::size_t i = 5; i < e.detail.size() && i < 8; ++i) {
    const char ch = e.detail[i];
    if (ch < '0' || ch > '9') return 0;
    status = status * 10 + (ch - '0');
  }
  return status;
}
}  // namespace

bool transient_media_error(const wa::Error& e) {
  switch (e.code) {
    case wa::Errc::media_timeout:
    case wa::Errc::media_unavailable:
    case wa::Errc::transport_connect:
    case wa::Errc::transport_read:
    case wa::Errc::transport_write:
    case wa::Errc::transport_closed:
    case wa::Errc::iq_timeout:
    case wa::Errc::iq_error:
      return true;
    case wa::Errc::media_http: {
      const int s = http_status(e);
      // Garbage instead of HTTP (0) or a server error may pass; a 4xx says the file is gone.
      return s == 0 || s >= 500 || s == 408 || s == 429;
    }
    default:
      return false;
  }
}

bool gone_from_host(const wa::Error& e) {
  const int s = http_status(e);
  return s == 403 || s == 404 || s == 410;
}

MediaFetcher::MediaFetcher(asio::any_io_executor ex, db::Database& db, sessions::Manager& sessions,
                           const media::Store& store, MediaFetcherOptions options)
    : strand_(asio::make_strand(ex)),
      db_(db),
      sessions_(sessions),
      store_(store),
      options_(std::move(options)) {}

void MediaFetcher::wake(const std::string& session_id) {
  if (!running_) return;
  asio::post(strand_, [this, session_id] {
    if (!running_) return;
    if (draining_.count(session_id)) {
      again_.insert(session_id);
      return;
    }
    draining_.insert(session_id);
    asio::co_spawn(strand_, drain(session_id), asio::detached);
  });
}

void MediaFetcher::stop() {
  running_ = false;
}

asio::awaitable<void> MediaFetcher::drain(std::string session_id) {
  while (running_) {
    again_.erase(session_id);
    bool go_on = true;
    while (go_on && running_) {
      std::vector<MediaJob> jobs;
      try {
        jobs = co_await db_.run(
            [&](db::Connection& c) { return pending_media(c, session_id, kBatch); });
      } catch (const std::exception& e) {
        log::warn("incoming media jobs not readable",
                  {{"session_id", session_id}, {"error", e.what()}});
        go_on = false;
        break;
      }
      if (jobs.empty()) break;
      for (const auto& job : jobs) {
        if (!running_ || !co_await fetch(job)) {
          go_on = false;
          break;
        }
      }
    }
    if (!again_.count(session_id)) break;
    if (!go_on) {
      // Woken while stopped by a failure: not at once, so that a failing store is not hammered.
      asio::steady_timer t(strand_, options_.retry_delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  draining_.erase(session_id);
}

asio::awaitable<bool> MediaFetcher::fetch(MediaJob job) {
  try {
    co_await db_.run([&](db::Connection& c) { count_media_attempt(c, job.id); });
  } catch (const std::exception& e) {
    log::warn("incoming media job not updated",
              {{"session_id", job.session_id}, {"error", e.what()}});
    co_return false;
  }
  auto r = co_await sessions_.download_media(job.session_id, job.descriptor, job.type,
                                             store_.options().max_bytes);
  std::string failure;
  if (!r && gone_from_host(r.error())) {
    auto path = co_await reupload(job);
    if (!path) {
      if (path.error().code == wa::Errc::client_disconnected) co_return false;  // on connect
      failure =
          r.error().message() + "; asked the phone to upload it again: " + path.error().message();
    } else {
      r = co_await sessions_.download_media(job.session_id, job.descriptor, job.type,
                                            store_.options().max_bytes);
    }
  }
  const auto now = util::unix_millis_now();
  if (r) {
    bool stored = false;
    try {
      const auto& bytes = *r;
      co_await db_.run([&](db::Connection& c) {
        media::NewMedia nm{
            job.session_id,
            std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
            job.descriptor.mimetype, job.descriptor.file_name};
        auto rec = store_.save(c, nm, now);
        finish_stored(c, job, rec.id, now);
      });
      stored = true;
    } catch (const media::StoreError& e) {
      if (e.kind() != media::StoreError::Kind::too_large) {
        log::warn(
            "incoming media not stored",
            {{"session_id", job.session_id}, {"message_id", job.message_id}, {"error", e.what()}});
        co_return false;
      }
      failure = std::string("media_too_large: ") + e.what();
    } catch (const std::exception& e) {
      log::warn(
          "incoming media not stored",
          {{"session_id", job.session_id}, {"message_id", job.message_id}, {"error", e.what()}});
      co_return false;
    }
    if (stored) {
      stored_.fetch_add(1);
      log::debug("incoming media stored",
                 {{"session_id", job.session_id}, {"message_id", job.message_id}});
      if (options_.finished) options_.finished();
      co_return true;
    }
  } else if (failure.empty()) {
    const auto& err = r.error();
    if (err.code == wa::Errc::client_disconnected) co_return false;  // resumed on connect
    if (transient_media_error(err) && job.attempts + 1 < options_.max_attempts) {
      log::info("incoming media download failed; will try again", {{"session_id", job.session_id},
                                                                   {"message_id", job.message_id},
                                                                   {"error", err.message()}});
      asio::steady_timer t(strand_, options_.retry_delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return true;
    }
    failure = err.message();
  }
  try {
    co_await db_.run([&](db::Connection& c) { finish_failed(c, job, failure, now); });
  } catch (const std::exception& e) {
    log::warn("incoming media job not updated",
              {{"session_id", job.session_id}, {"error", e.what()}});
    co_return false;
  }
  failed_.fetch_add(1);
  log::warn("incoming media download failed",
            {{"session_id", job.session_id}, {"message_id", job.message_id}, {"error", failure}});
  if (options_.finished) options_.finished();
  co_return true;
}

asio::awaitable<wa::Result<std::string>> MediaFetcher::reupload(MediaJob& job) {
  std::optional<wa::media::RetryTarget> target;
  try {
    target = co_await db_.run([&](db::Connection& c) { return retry_target(c, job); });
  } catch (const std::exception& e) {
    co_return wa::Error{wa::Errc::client_disconnected,
                        std::string("message log not readable: ") + e.what()};
  }
  if (!target)
    co_return wa::Error{wa::Errc::media_reupload_failed, "the message is not in the message log"};
  log::info("incoming media gone from the host; asking the phone to upload it again",
            {{"session_id", job.session_id}, {"message_id", job.message_id}});
  auto path = co_await sessions_.reupload_media(job.session_id, *target, job.descriptor.media_key,
                                                options_.reupload_timeout);
  if (!path) co_return path.error();
  // The old URL points at the file the host dropped; the new direct path is what counts now.
  job.descriptor.direct_path = *path;
  job.descriptor.url.clear();
  try {
    co_await db_.run([&](db::Connection& c) { save_descriptor(c, job); });
  } catch (const std::exception& e) {
    // The new path still serves this attempt; a restart would ask the phone again.
    log::warn("incoming media job not updated",
              {{"session_id", job.session_id}, {"error", e.what()}});
  }
  reuploads_.fetch_add(1);
  co_return std::move(*path);
}

}  // namespace gw::inbound
