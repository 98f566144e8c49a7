#include "db/pg_listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>

#include "log/log.hpp"

namespace gw::db {

PgListener::PgListener(std::string url, std::vector<std::string> channels, Handler on_notify,
                       std::function<void()> on_connected)
    : url_(std::move(url)),
      channels_(std::move(channels)),
      on_notify_(std::move(on_notify)),
      on_connected_(std::move(on_connected)) {}

PgListener::~PgListener() {
  stop();
}

void PgListener::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void PgListener::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void PgListener::run() {
  using namespace std::chrono_literals;
  bool warned = false;
  while (!stop_) {
    std::string conninfo = url_;
    conninfo += conninfo.find('?') == std::string::npos ? "?" : "&";
    conninfo += "connect_timeout=2";
    PGconn* conn = PQconnectdb(conninfo.c_str());
    bool ok = conn && PQstatus(conn) == CONNECTION_OK;
    for (const auto& ch : channels_) {
      if (!ok) break;
      // Channel names are the gateway's own constants (identifiers, no quoting needed).
      PGresult* r = PQexec(conn, ("LISTEN " + ch).c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
    if (!ok) {
      if (!warned) {
        log::warn("cluster listener cannot connect; retrying",
                  {{"error", conn ? PQerrorMessage(conn) : "out of memory"}});
        warned = true;
      }
      if (conn) PQfinish(conn);
      for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(100ms);
      continue;
    }
    warned = false;
    connected_ = true;
    if (on_connected_) on_connected_();
    while (!stop_) {
      pollfd p{PQsocket(conn), POLLIN, 0};
      int n = ::poll(&p, 1, 200);
      if (n < 0) continue;
      if (n > 0 && PQconsumeInput(conn) == 0) break;  // connection lost
      while (PGnotify* nt = PQnotifies(conn)) {
        std::string channel = nt->relname, payload = nt->extra;
        PQfreemem(nt);
        try {
          on_notify_(channel, payload);
        } catch (const std::exception& e) {
          log::warn("cluster notification failed", {{"channel", channel}, {"error", e.what()}});
        }
      }
      if (PQstatus(conn) != CONNECTION_OK) break;
    }
    connected_ = false;
    PQfinish(conn);
    if (!stop_) log::warn("cluster listener lost its connection; reconnecting", {});
  }
}

}  // namespace gw::db
