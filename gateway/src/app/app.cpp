#include "app/app.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>
#include <tuple>

#include "analytics/report.hpp"
#include "analytics/zone.hpp"
#include "api/analytics_routes.hpp"
#include "api/api_key_routes.hpp"
#include "api/auth_routes.hpp"
#include "api/dashboard_routes.hpp"
#include "api/media_routes.hpp"
#include "api/openapi_routes.hpp"
#include "api/sandbox_routes.hpp"
#include "api/session_routes.hpp"
#include "api/system_routes.hpp"
#include "app/context.hpp"
#include "app/health.hpp"
#include "app/pipeline.hpp"
#include "auth/accounts.hpp"
#include "auth/secrets.hpp"
#include "cluster/cluster.hpp"
#include "db/migrations.hpp"
#include "events/hub.hpp"
#include "http/server.hpp"
#include "inbound/media_fetcher.hpp"
#include "log/log.hpp"
#include "media/signing.hpp"
#include "media/store.hpp"
#include "observability/session_metrics.hpp"
#include "outbound/sender.hpp"
#include "sessions/manager.hpp"
#include "util/time.hpp"
#include "webhooks/http_client.hpp"
#include "webhooks/worker.hpp"
#include "ws/event_socket.hpp"

namespace gw::app {

namespace {

std::string sqlite_path(const config::Config& cfg) {
  return (std::filesystem::path(cfg.data_dir) / "gateway.db").string();
}

std::unique_ptr<db::Database> open_database(const config::Config& cfg) {
  std::filesystem::create_directories(cfg.data_dir);
  db::PoolOptions opts;
  opts.max_connections = cfg.db_max_connections;
  opts.max_idle = cfg.db_max_idle_connections;
  opts.max_lifetime = cfg.db_connection_max_lifetime;
  return db::Database::open(sqlite_path(cfg), cfg.database_url, opts);
}

sessions::ManagerOptions manager_options(const config::Config& cfg) {
  sessions::ManagerOptions o;
  o.threads = cfg.whatsapp_threads > 0
                  ? cfg.whatsapp_threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.max_reconnect_attempts = cfg.whatsapp_max_reconnect_attempts;
  auto& c = o.client;
  c.url = cfg.whatsapp_server_url;
  c.root_key = cfg.whatsapp_root_public_key;
  c.extra_ca_file = cfg.whatsapp_ca_file;
  c.version = cfg.whatsapp_version;
  c.os_name = cfg.whatsapp_device_name;
  c.platform_display = cfg.whatsapp_device_name + " (Linux)";
  c.qr_first = cfg.whatsapp_qr_timeout;
  c.qr_next = cfg.whatsapp_qr_refresh;
  c.auto_reconnect = cfg.whatsapp_auto_reconnect;
  c.backoff_base = cfg.whatsapp_reconnect_interval;
  c.backoff_cap = std::max(c.backoff_base, std::chrono::milliseconds(60'000));
  o.media_wait = cfg.media_download_wait;
  return o;
}

media::StoreOptions media_store_options(const config::Config& cfg) {
  media::StoreOptions o;
  o.dir = cfg.media_dir;
  o.max_bytes = cfg.media_max_bytes;
  o.retention = std::chrono::days(cfg.media_retention_days);
  return o;
}

// How often stored media past MEDIA_RETENTION_DAYS (and orphan files) are removed.
constexpr std::chrono::hours kMediaSweepInterval{1};

// SQLite mode is one process: a second one on the same DATA_DIR would write the same database
// and run the same WhatsApp devices. An exclusive lock on DATA_DIR/gateway.lock, held until exit,
// refuses it. Returns the descriptor (kept open), or -1 with `error` set.
int lock_data_dir(const std::string& data_dir, std::string& error) {
  const auto path = (std::filesystem::path(data_dir) / "gateway.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    error = "another gateway process is using DATA_DIR " + data_dir + " (" + path +
            " is locked); with SQLite only one process may run on a data directory — stop it, "
            "or use PostgreSQL with CLUSTER_ENABLED=true for several (docs/CLUSTER.md)";
    return -1;
  }
  return fd;
}

const char* dialect_name(db::Dialect d) {
  return d == db::Dialect::sqlite ? "sqlite" : "postgres";
}

}  // namespace

namespace {
const char* access_name(http::Access a) {
  switch (a) {
    case http::Access::public_route:
      return "public";
    case http::Access::authenticated:
      return "authenticated";
    case http::Access::any_caller:
      return "any_caller";
    case http::Access::unlimited:
      return "unlimited";
    case http::Access::login_only:
      return "login_only";
  }
  return "unknown";
}

int serve_or_print_routes(const config::Config& cfg, bool print_routes,
                          const sandbox::Link* sandbox_link);
}  // namespace

int run_server(const config::Config& cfg, const sandbox::Link* sandbox_link) {
  return serve_or_print_routes(cfg, false, sandbox_link);
}

int run_print_routes(const config::Config& cfg, bool with_sandbox) {
  const sandbox::Link none{};
  return serve_or_print_routes(cfg, true, with_sandbox ? &none : nullptr);
}

namespace {

// Runs `chore` now and then `interval` after each run ends, on `timer`'s executor, until the
// timer is cancelled. The chore handles its own errors.
void every(boost::asio::steady_timer& timer, std::chrono::steady_clock::duration interval,
           std::function<boost::asio::awaitable<void>()> chore) {
  boost::asio::co_spawn(
      timer.get_executor(),
      [&timer, interval, chore = std::move(chore)]() -> boost::asio::awaitable<void> {
        while (true) {
          co_await chore();
          timer.expires_after(interval);
          auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
          if (ec) break;
        }
      },
      boost::asio::detached);
}

int serve_or_print_routes(const config::Config& cfg, bool print_routes,
                          const sandbox::Link* sandbox_link) {
  util::set_clock_skew_ms(int64_t{cfg.clock_skew_seconds} * 1000);
  std::unique_ptr<db::Database> db;
  int data_dir_lock = -1;
  try {
    db = open_database(cfg);
    if (db->dialect() == db::Dialect::sqlite && !print_routes) {
      std::string error;
      data_dir_lock = lock_data_dir(cfg.data_dir, error);
      if (data_dir_lock < 0) throw std::runtime_error(error);
    }
    int applied = db::Migrator(*db).up();
    log::info("database ready",
              {{"dialect", dialect_name(db->dialect())}, {"migrations_applied", applied}});
  } catch (const std::exception& e) {
    log::error("cannot start: database", {{"error", e.what()}});
    return 1;
  }

  auto now_ms = [] { return util::unix_millis_now(); };
  std::optional<auth::Authenticator> authenticator;
  std::string media_key;
  try {
    auto secrets = auth::resolve_secrets(cfg);
    authenticator.emplace(*db, secrets.jwt_key, cfg.jwt_ttl,
                          [] { return util::unix_seconds_now(); });
    media_key = media::UrlSigner::derive_key(secrets.jwt_key);
  } catch (const std::exception& e) {
    log::error("cannot start: secrets", {{"error", e.what()}});
    return 1;
  }
  std::optional<media::Store> media_store;
  try {
    media_store.emplace(media_store_options(cfg));
  } catch (const std::exception& e) {
    log::error("cannot start: media directory", {{"error", e.what()}});
    return 1;
  }
  const media::UrlSigner media_signer(media_key, cfg.public_url);
  // Media URLs handed to webhook receivers and API clients are absolute: under PUBLIC_URL, else
  // under this process's own address (known once it listens).
  std::optional<media::UrlSigner> external_media_signer;
  const outbound::MediaUrlFn media_url = [&external_media_signer, &cfg](const std::string& id) {
    const auto exp = util::unix_seconds_now() + cfg.media_url_ttl.count();
    return external_media_signer ? external_media_signer->url(id, exp) : std::string();
  };
  auth::RateLimiter api_limiter({cfg.rate_limit_per_minute, 60'000, cfg.rate_limit_max_keys});

  boost::asio::io_context ioc(cfg.http_threads);
  obs::Metrics metrics;
  // Per-session series, bounded by METRICS_MAX_SESSION_LABELS (outlives the manager and worker
  // that feed it).
  obs::SessionMetrics session_metrics(static_cast<std::size_t>(cfg.metrics_max_session_labels));
  // Process-wide timers (health probe, pruning, shutdown) share one strand.
  auto strand = boost::asio::make_strand(ioc);
  HealthMonitor health(*db, strand);
  events::Hub hub;
  // WhatsApp sessions run on their own thread pool (never on the HTTP I/O threads).
  // Cluster mode: this process is one node of several on one PostgreSQL (docs/CLUSTER.md).
  std::optional<cluster::Cluster> cluster;
  auto mo = manager_options(cfg);
  if (cfg.cluster_enabled && !print_routes) {
    cluster::Options co;
    co.node_id = cfg.node_id.empty() ? cluster::default_node_id() : cfg.node_id;
    co.database_url = cfg.database_url;
    co.ttl = cfg.lease_ttl;
    co.renew = cfg.lease_renew;
    co.max_sessions = cfg.max_sessions_per_node;
    co.rebalance = cfg.cluster_rebalance;
    // The owner may download the reply's media_url, wait for its login (20 s) and for its
    // send rate (up to 60 s) before it answers.
    co.reply_relay_timeout = cfg.media_fetch_timeout + std::chrono::seconds(120);
    cluster.emplace(co, *db, hub, ioc.get_executor());
    cluster->configure(mo);
    metrics.add_gauge("cluster_sessions_owned", "Sessions whose lease this node holds.", "",
                      [&cluster] { return static_cast<double>(cluster->owned()); });
    metrics.add_gauge("cluster_live_nodes", "Gateway nodes with a recent heartbeat.", "",
                      [&cluster] { return static_cast<double>(cluster->live_nodes()); });
    metrics.add_gauge("cluster_clock_correction_seconds",
                      "What this node adds to its clock to read the database's.", "",
                      [] { return static_cast<double>(util::clock_correction_ms()) / 1000.0; });
    metrics.add_counter("cluster_lease_losses_total",
                        "Sessions this node stopped because it no longer held their lease.", "",
                        [&cluster] { return static_cast<double>(cluster->lease_losses()); });
    metrics.add_counter("cluster_claims_total", "Sessions this node took over from no owner.", "",
                        [&cluster] { return static_cast<double>(cluster->claims()); });
    metrics.add_counter("cluster_handed_over_total",
                        "Sessions this node handed to other nodes when rebalancing.", "",
                        [&cluster] { return static_cast<double>(cluster->handed_over()); });
    metrics.add_counter("cluster_relayed_requests_total",
                        "API requests relayed to the node running their session.", "",
                        [&cluster] { return static_cast<double>(cluster->relayed()); });
  }
  sessions::Manager manager(std::move(mo), *db, hub);
  Context ctx{cfg,
              *db,
              metrics,
              health,
              std::chrono::steady_clock::now(),
              [&manager] { return manager.count_with_status("connected"); },
              *authenticator,
              api_limiter,
              http::CorsPolicy(cfg.cors_allowed_origins),
              http::parse_trusted_proxies(cfg.trusted_proxies).proxies,
              now_ms,
              cluster ? &*cluster : nullptr};
  metrics.add_gauge("rate_limiter_keys", "Clients tracked by each rate limiter (bounded).",
                    "limiter=\"api\"",
                    [&api_limiter] { return static_cast<double>(api_limiter.size()); });
  metrics.add_gauge("db_pool_connections", "Database pool connections by state.",
                    "state=\"in_use\"", [&db] { return db->stats().in_use; });
  metrics.add_gauge("db_pool_connections", "Database pool connections by state.", "state=\"idle\"",
                    [&db] { return db->stats().idle; });
  for (const char* status : {"connected", "qr", "disconnected"}) {
    metrics.add_gauge("wa_sessions", "WhatsApp sessions of this process, by status.",
                      std::string("status=\"") + status + "\"",
                      [&manager, status] { return manager.count_with_status(status); });
  }
  metrics.add_counter("wa_session_reconnects_total",
                      "Automatic reconnect attempts after a dropped or failed connection.", "",
                      [&manager] { return static_cast<double>(manager.reconnects()); });
  metrics.add_counter("wa_session_pairings_total",
                      "Devices linked by a QR scan or a phone-number code.", "",
                      [&manager] { return static_cast<double>(manager.pairings()); });
  metrics.add_counter("ws_slow_consumer_disconnects_total",
                      "Dashboard sockets closed because they did not read fast enough.", "",
                      [] { return static_cast<double>(ws::slow_consumer_disconnects()); });
  metrics.add_gauge("ws_subscribers", "Dashboard WebSocket subscriptions to live events.", "",
                    [&hub] { return static_cast<double>(hub.subscriber_count()); });
  metrics.add_gauge("db_pool_max_connections", "Configured size of the database pool.", "",
                    [&db] { return db->stats().max; });
  if (db->dialect() == db::Dialect::sqlite) {
    // Every write of the file runs in a turn, one after another: busy seconds growing at about
    // one per second mean the writes are what limits the pipeline (docs/ARCHITECTURE.md,
    // "Threads and strands").
    const auto path = sqlite_path(cfg);
    metrics.add_counter("db_sqlite_write_turns_total",
                        "Turns to write the SQLite file taken (transactions, single writes, "
                        "checkpoints).",
                        "",
                        [path] { return static_cast<double>(db::sqlite_write_turns(path).turns); });
    metrics.add_counter("db_sqlite_write_turn_seconds_total",
                        "Time a write held the SQLite file's turn to write.", "",
                        [path] { return db::sqlite_write_turns(path).seconds; });
    metrics.add_counter(
        "db_sqlite_grouped_commits_total",
        "Write transactions committed by a later one's COMMIT (group commit).", "",
        [path] { return static_cast<double>(db::sqlite_write_turns(path).grouped); });
    metrics.add_gauge("db_sqlite_write_waiting", "Writers waiting for the SQLite file's turn now.",
                      "",
                      [path] { return static_cast<double>(db::sqlite_write_turns(path).waiting); });
  }

  // Webhooks: the durable outbox is drained by one worker on the HTTP I/O context.
  webhooks::HttpClientOptions hco;
  hco.allow_private_networks = cfg.webhook_allow_private_networks;
  hco.extra_ca_file = cfg.whatsapp_ca_file;
  hco.user_agent = std::string("wa-gateway/") + WA_GATEWAY_VERSION;
  std::optional<webhooks::HttpClient> http_client;
  try {
    http_client.emplace(ioc.get_executor(), hco);
  } catch (const std::exception& e) {
    log::error("cannot start: webhook client", {{"error", e.what()}});
    return 1;
  }
  // media_url of the send API: the same client code, its own SSRF setting and pool.
  webhooks::HttpClientOptions mco = hco;
  mco.allow_private_networks = cfg.media_allow_private_networks;
  mco.max_idle_per_host = 2;
  std::optional<webhooks::HttpClient> media_client;
  try {
    media_client.emplace(ioc.get_executor(), mco);
  } catch (const std::exception& e) {
    log::error("cannot start: media client", {{"error", e.what()}});
    return 1;
  }
  webhooks::WorkerOptions wo;
  wo.timeout = cfg.webhook_timeout;
  wo.max_retries = cfg.webhook_max_retries;
  wo.backoff = cfg.webhook_retry_backoff;
  wo.typing_delay = cfg.webhook_typing_delay;
  wo.poll_interval = cfg.webhook_poll_interval;
  wo.concurrency = cfg.webhook_concurrency;
  wo.user_agent = hco.user_agent;
  wo.media_url = media_url;
  wo.media_client = &*media_client;
  wo.media_fetch_timeout = cfg.media_fetch_timeout;
  outbound::SenderOptions sender_options;
  sender_options.rate_per_minute = cfg.send_rate_per_minute;
  sender_options.typing_default = cfg.send_typing;
  sender_options.limits.max_media_bytes = cfg.media_max_bytes;
  outbound::Sender sender(*db, manager, sender_options);
  metrics.add_counter("messages_sent_total",
                      "Messages sent (API and webhook replies), acked by WhatsApp.", "",
                      [&sender] { return static_cast<double>(sender.sent()); });
  metrics.add_counter("messages_send_failed_total",
                      "Sends WhatsApp refused or that could not complete.", "",
                      [&sender] { return static_cast<double>(sender.failed()); });
  metrics.add_collector([&session_metrics](std::ostream& o) { session_metrics.render(o); });
  manager.on_message_recorded([&session_metrics](const std::string& id, bool forwarded) {
    session_metrics.message(id, forwarded);
  });
  wo.on_attempt = [&session_metrics](const std::string& id, std::string_view outcome,
                                     double seconds) {
    session_metrics.webhook_attempt(id, outcome, seconds);
  };
  if (cluster) {
    // Any live node claims due deliveries; a reply or "typing…" of a session another node runs
    // goes through that node (docs/CLUSTER.md, "Webhook deliveries across nodes").
    wo.node_id = cluster->node_id();
    wo.node_ttl = cfg.lease_ttl;
    auto* node = &*cluster;
    wo.relay.owner_elsewhere = [node](const std::string& id) { return node->owner_elsewhere(id); };
    wo.relay.reply = [node](const std::string& id, int64_t row, const std::string& body) {
      return node->relay_reply(id, row, body);
    };
    wo.relay.presence = [node](const std::string& to, const std::string& id,
                               const std::string& chat,
                               bool composing) { node->relay_presence(to, id, chat, composing); };
  }
  webhooks::DeliveryWorker worker(ioc.get_executor(), *db, *http_client, manager, sender, wo);
  manager.on_outbox_written([&worker] { worker.wake(); });
  manager.on_delivery_ready(
      [&worker](inbound::ReadyDelivery ready) { worker.start_now(std::move(ready)); });
  manager.on_chat_written([&worker](const std::string& session_id, const std::string& chat) {
    worker.chat_written(session_id, chat);
  });
  // Received attachments: downloaded in the background; each ending releases its webhook.
  inbound::MediaFetcherOptions mfo;
  mfo.finished = [&worker] { worker.wake(); };
  inbound::MediaFetcher media_fetcher(ioc.get_executor(), *db, manager, *media_store, mfo);
  manager.on_media_work([&media_fetcher](const std::string& id) { media_fetcher.wake(id); });
  metrics.add_counter("incoming_media_total", "Received attachments downloaded, by outcome.",
                      "outcome=\"stored\"",
                      [&media_fetcher] { return static_cast<double>(media_fetcher.stored()); });
  metrics.add_counter("incoming_media_total", "Received attachments downloaded, by outcome.",
                      "outcome=\"failed\"",
                      [&media_fetcher] { return static_cast<double>(media_fetcher.failed()); });
  metrics.add_counter(
      "incoming_media_reuploads_total",
      "Received attachments the media host no longer had, uploaded again by the phone on request.",
      "", [&media_fetcher] { return static_cast<double>(media_fetcher.reuploads()); });
  metrics.add_counter("webhook_attempts_total", "Webhook HTTP attempts made.", "",
                      [&worker] { return static_cast<double>(worker.attempts()); });
  metrics.add_counter("webhook_outbox_scans_total",
                      "Reads of the webhook outbox over every chat (at start, once a second, for "
                      "retries and after failures); deliveries otherwise go chat by chat.",
                      "", [&worker] { return static_cast<double>(worker.outbox_scans()); });
  metrics.add_gauge("webhook_in_flight", "Webhook requests in flight.", "",
                    [&worker] { return static_cast<double>(worker.in_flight()); });
  metrics.add_gauge("webhook_pending", "Webhook deliveries waiting to be sent (the backlog).", "",
                    [&worker] { return static_cast<double>(worker.pending()); });
  metrics.add_gauge("webhook_oldest_pending_seconds",
                    "Age of the oldest webhook delivery still waiting.", "",
                    [&worker] { return worker.oldest_pending_seconds(); });
  metrics.add_counter("wa_messages_undecryptable_total",
                      "Incoming messages that could not be decrypted at first (a retry receipt "
                      "asked the sender to re-send).",
                      "", [&manager] { return static_cast<double>(manager.undecryptable()); });
  metrics.add_counter("webhook_replies_failed_total",
                      "Replies from webhook responses that could not be sent.", "",
                      [&worker] { return static_cast<double>(worker.replies_failed()); });
  if (cluster) {
    metrics.add_counter("webhook_replies_relayed_total",
                        "Replies of deliveries sent from this node for a session another node "
                        "runs, handed to that node.",
                        "", [&worker] { return static_cast<double>(worker.replies_relayed()); });
  }

  http::Router router;
  api::register_system_routes(router, ctx);
  api::register_auth_routes(router, ctx);
  api::register_api_key_routes(router, ctx);
  api::register_session_routes(router, ctx, manager);
  api::register_subscription_routes(router, ctx, manager);
  api::register_ws_routes(router, ctx, manager, hub);
  api::register_webhook_routes(router, ctx, [&worker] { worker.wake(); });
  api::register_message_routes(router, ctx, sender, *media_client, media_url);
  api::register_media_routes(router, ctx, *media_store, media_signer);
  // Validated by the configuration (config.cpp), so found here.
  const auto analytics_zone = analytics::Zone::find(cfg.analytics_timezone).value();
  api::register_analytics_routes(router, ctx, analytics_zone);
  // Sandbox mode only: the simulated phone and contacts (docs/SANDBOX.md).
  std::optional<webhooks::HttpClient> sandbox_client;
  if (sandbox_link != nullptr) {
    webhooks::HttpClientOptions sco;
    sco.allow_private_networks = true;  // the driver listens on loopback
    sco.user_agent = hco.user_agent;
    sco.max_response_bytes = 4 * 1024 * 1024;
    sandbox_client.emplace(ioc.get_executor(), sco);
    api::register_sandbox_routes(router, ctx, manager, *sandbox_client, *sandbox_link);
  }
  // The built dashboard, read into memory once (docs/DASHBOARD.md).
  http::StaticSite dashboard;
  const auto dashboard_dir = api::resolve_dashboard_dir(cfg.dashboard_dir);
  try {
    dashboard = http::StaticSite::load(dashboard_dir);
  } catch (const std::exception& e) {
    log::error("cannot start: dashboard", {{"error", e.what()}});
    return 1;
  }
  if (dashboard.has_index()) {
    log::info("dashboard",
              {{"dir", dashboard_dir.string()}, {"files", static_cast<int64_t>(dashboard.size())}});
  } else {
    log::warn("dashboard not built: / shows how to build it", {{"dir", dashboard_dir.string()}});
  }
  api::register_openapi_routes(router, dashboard);
  api::register_dashboard_routes(router, ctx, dashboard);
  if (print_routes) {
    boost::json::array out;
    for (const auto& r : router.routes()) {
      out.push_back(boost::json::object{
          {"method", r.method}, {"pattern", r.pattern}, {"access", access_name(r.access)}});
    }
    std::cout << boost::json::serialize(out) << "\n";
    db->close();
    return 0;
  }
  Pipeline pipeline(ctx, router);

  http::ServerOptions so;
  so.bind_address = cfg.bind_address;
  so.port = cfg.port;
  so.max_body_bytes = cfg.http_max_body_bytes;
  so.max_header_bytes = cfg.http_max_header_bytes;
  so.header_timeout = cfg.http_header_timeout;
  so.body_timeout = cfg.http_body_timeout;
  so.idle_timeout = cfg.http_idle_timeout;
  so.max_connections = static_cast<std::size_t>(cfg.http_max_connections);
  so.max_connections_per_ip = static_cast<std::size_t>(cfg.http_max_connections_per_ip);
  so.max_websockets = static_cast<std::size_t>(cfg.ws_max_connections);
  so.max_websockets_per_ip = static_cast<std::size_t>(cfg.ws_max_connections_per_ip);
  // Per-IP caps count the TCP peer (IPv6 by /64); a trusted reverse proxy carries many clients
  // and is held only by the total caps.
  so.per_ip_key = [proxies = ctx.trusted_proxies](const std::string& peer) -> std::string {
    if (auto ip = http::parse_ip(peer); ip && proxies.contains(*ip)) return {};
    return http::rate_limit_key(peer);
  };
  http::Server server(ioc, so, pipeline.hooks());
  metrics.add_gauge("http_open_connections", "Open client connections, by kind.", "kind=\"http\"",
                    [&server] { return static_cast<double>(server.open_http_connections()); });
  metrics.add_gauge("http_open_connections", "Open client connections, by kind.",
                    "kind=\"websocket\"",
                    [&server] { return static_cast<double>(server.open_websockets()); });
  for (const auto& [kind, cap, field] :
       {std::tuple{"http", "total", &http::RefusedConnections::http_total},
        std::tuple{"http", "per_ip", &http::RefusedConnections::http_per_ip},
        std::tuple{"websocket", "total", &http::RefusedConnections::ws_total},
        std::tuple{"websocket", "per_ip", &http::RefusedConnections::ws_per_ip}}) {
    metrics.add_counter(
        "http_connections_refused_total",
        "Connections refused with 503 because a connection cap was reached, by kind and cap.",
        std::string("kind=\"") + kind + "\",cap=\"" + cap + "\"",
        [&server, f = field] { return static_cast<double>(server.refused().*f); });
  }
  uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    log::error("cannot start: listen",
               {{"error", e.what()}, {"address", cfg.bind_address}, {"port", cfg.port}});
    return 1;
  }
  {
    std::string base = cfg.public_url;
    if (base.empty()) {
      std::string host = cfg.bind_address;
      if (host.empty() || host == "0.0.0.0" || host == "::") host = "localhost";
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      base = "http://" + host + ":" + std::to_string(port);
    }
    external_media_signer.emplace(media_key, base);
  }
  health.start();
  manager.resume();
  if (cluster) {
    try {
      cluster->set_delivering([&worker](const std::string& id) { return worker.delivering(id); });
      cluster->set_reply_executor([&worker](int64_t row, std::string body) {
        return worker.reply_relayed(row, std::move(body));
      });
      cluster->start(manager,
                     [&pipeline](http::Request& r) { return pipeline.execute_relayed(r); });
    } catch (const std::exception& e) {
      log::error("cannot start: cluster", {{"error", e.what()}});
      manager.shutdown();
      db->close();
      return 1;
    }
  }
  worker.start();
  // Revocations of expired tokens are useless, raw analytics rows past their retention are not
  // needed: both pruned now and every hour.
  boost::asio::steady_timer prune_timer(strand);
  every(prune_timer, std::chrono::hours(1), [&]() -> boost::asio::awaitable<void> {
    try {
      auto n = co_await db->run([](db::Connection& c) {
        return auth::Accounts::prune_revoked(c, util::unix_seconds_now());
      });
      if (n > 0) log::info("pruned revoked tokens", {{"count", n}});
    } catch (const std::exception& e) {
      log::warn("pruning revoked tokens failed", {{"error", e.what()}});
    }
    // Raw analytics rows past ANALYTICS_RETENTION_DAYS (the rollups stay).
    if (cfg.analytics_retention_days > 0) {
      try {
        const int64_t before =
            util::unix_millis_now() - int64_t{cfg.analytics_retention_days} * 86'400'000;
        auto n = co_await db->run(
            [before](db::Connection& c) { return analytics::prune_raw_rows(c, before); });
        if (n > 0) log::info("pruned raw analytics rows", {{"count", n}});
      } catch (const std::exception& e) {
        log::warn("pruning analytics rows failed", {{"error", e.what()}});
      }
    }
  });
  // The analytics quarters folded into the coarser rollups (analytics::fold_rollups), now
  // and every minute.
  boost::asio::steady_timer fold_timer(strand);
  every(fold_timer, std::chrono::minutes(1), [&]() -> boost::asio::awaitable<void> {
    try {
      auto n = co_await db->run(
          [](db::Connection& c) { return analytics::fold_rollups(c, util::unix_millis_now()); });
      if (n > 0) log::debug("analytics rollups folded", {{"quarters", n}});
    } catch (const std::exception& e) {
      log::warn("folding analytics rollups failed", {{"error", e.what()}});
    }
  });
  // Media past MEDIA_RETENTION_DAYS, and files whose session was deleted: now and every hour.
  boost::asio::steady_timer media_sweep_timer(strand);
  every(media_sweep_timer, kMediaSweepInterval, [&]() -> boost::asio::awaitable<void> {
    try {
      auto swept = co_await db->run(
          [&](db::Connection& c) { return media_store->sweep(c, util::unix_millis_now()); });
      if (swept.expired > 0 || swept.orphans > 0) {
        log::info("media swept", {{"expired", swept.expired}, {"orphans", swept.orphans}});
      }
    } catch (const std::exception& e) {
      log::warn("media sweep failed", {{"error", e.what()}});
    }
  });
  // Handled from before "listening" is printed: a stop signal right after it shuts down cleanly.
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("shutting down",
              {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
               {"timeout_ms", static_cast<int64_t>(cfg.shutdown_timeout.count())}});
    // Cluster mode: the other nodes take this node's sessions now, not after the drain below.
    if (cluster) cluster->hand_over();
    boost::asio::co_spawn(
        strand,
        [&]() -> boost::asio::awaitable<void> {
          worker.stop();
          media_fetcher.stop();
          bool drained = co_await server.shutdown(cfg.shutdown_timeout);
          health.stop();
          prune_timer.cancel();
          fold_timer.cancel();
          media_sweep_timer.cancel();
          if (!drained) log::warn("shutdown timeout: closed requests still in flight");
          ioc.stop();
        },
        boost::asio::detached);
  });

  log::info("listening",
            {{"address", cfg.bind_address},
             {"port", port},
             {"threads", cfg.http_threads},
             {"env", cfg.env == config::Env::production ? "production" : "development"}});
  log::flush();  // tools and tests wait for this line

  std::vector<std::thread> threads;
  for (int i = 1; i < cfg.http_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  // WhatsApp connections close without logging out; the sessions resume at the next start (in
  // cluster mode: on the other nodes, at once).
  manager.shutdown();
  if (cluster) cluster->stop();
  db->close();
  if (data_dir_lock >= 0) ::close(data_dir_lock);
  log::info("stopped");
  return 0;
}
}  // namespace

int run_migrate(const config::Config& cfg, const std::vector<std::string>& args) {
  const std::string usage = "usage: wa-gateway migrate up | down [N] | status";
  if (args.empty() || args.size() > 2) {
    std::cerr << usage << "\n";
    return 2;
  }
  try {
    auto db = open_database(cfg);
    db::Migrator m(*db);
    if (args[0] == "up" && args.size() == 1) {
      int n = m.up();
      std::cout << "applied " << n << " migration(s); schema version " << m.current_version()
                << "\n";
    } else if (args[0] == "down") {
      int steps = 1;
      if (args.size() == 2) {
        try {
          size_t used = 0;
          steps = std::stoi(args[1], &used);
          if (used != args[1].size() || steps < 1) throw std::invalid_argument("N");
        } catch (const std::exception&) {
          std::cerr << "wa-gateway migrate down: N must be a positive integer, got \"" << args[1]
                    << "\"\n";
          return 2;
        }
      }
      int n = m.down(steps);
      std::cout << "rolled back " << n << " migration(s); schema version " << m.current_version()
                << "\n";
    } else if (args[0] == "status" && args.size() == 1) {
      for (const auto& s : m.status()) {
        std::cout << (s.applied ? "applied " : "pending ") << s.version << " " << s.name;
        if (s.applied) std::cout << " " << s.applied_at;
        std::cout << "\n";
      }
    } else {
      std::cerr << usage << "\n";
      return 2;
    }
    db->close();
  } catch (const std::exception& e) {
    std::cerr << "wa-gateway migrate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int run_media_url(const config::Config& cfg, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: wa-gateway media-url <media id>\n";
    return 2;
  }
  const std::string& id = args[0];
  if (!media::is_media_id(id)) {
    std::cerr << "wa-gateway media-url: a media id is 32 lower-case hexadecimal characters, got \""
              << id << "\"\n";
    return 2;
  }
  try {
    const auto secrets = auth::resolve_secrets(cfg);
    auto db = open_database(cfg);
    const media::Store store(media_store_options(cfg));
    const auto record = db->with_connection([&](db::Connection& c) { return store.find(c, id); });
    db->close();
    if (!record) {
      std::cerr << "wa-gateway media-url: no stored media with id " << id << "\n";
      return 1;
    }
    const media::UrlSigner signer(media::UrlSigner::derive_key(secrets.jwt_key), cfg.public_url);
    std::cout << signer.url(id, util::unix_seconds_now() + cfg.media_url_ttl.count()) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "wa-gateway media-url: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gw::app
