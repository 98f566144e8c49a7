// PostgreSQL backend over libpq. Parameters go as text with inferred types, except Blob, which goes
// in binary as bytea (a std::string bound as text would be cut at its first NUL byte).
// Queries (SELECT, INSERT, UPDATE, DELETE, WITH) run a second time are prepared, once per
// connection and SQL text, so that the server parses and plans them once rather than at every
// call: the incoming pipeline runs the same statements for every message (docs/BENCHMARKS.md
// "Incoming pipeline").
#include <libpq-fe.h>

#include <unordered_map>
#include <unordered_set>

#include "db/connection.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace gw::db {

std::string to_postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      auto end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700, kTimestampOid = 1114,
              kTimestamptzOid = 1184;

class PgConnection final : public Connection {
 public:
  explicit PgConnection(const std::string& url) {
    std::string conninfo = url;
    auto add = [&conninfo](const char* param) {
      conninfo += conninfo.find('?') == std::string::npos ? "?" : "&";
      conninfo += param;
    };
    if (conninfo.find("connect_timeout=") == std::string::npos) add("connect_timeout=2");
    // No statement waits for ever: a stuck query or a lock held elsewhere fails after 10 s, as
    // SQLite's busy timeout does (db/sqlite.cpp). The WhatsApp clients call their store
    // synchronously on a small pool; unbounded waits there would stall every session's
    // keepalive (docs/sessions.md). Given at connection start, so RESET returns to it.
    // A transaction left idle (its process paused, or cut off from the database) is ended after
    // 5 s, so the row locks it holds do not keep a session lease from moving (docs/CLUSTER.md).
    if (conninfo.find("options=") == std::string::npos)
      add("options=-c%20statement_timeout%3D10000%20-c%20lock_timeout%3D10000"
          "%20-c%20idle_in_transaction_session_timeout%3D5000");
    conn_ = PQconnectdb(conninfo.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
      if (conn_) PQfinish(conn_);
      conn_ = nullptr;
      throw DbError(DbError::Kind::unavailable,
                    "cannot connect to PostgreSQL: " + std::string(util::trim(msg)));
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    execute_script("SET TIME ZONE 'UTC'; SET client_min_messages = warning;");
  }

  ~PgConnection() override {
    if (conn_) PQfinish(conn_);
  }

  Dialect dialect() const noexcept override { return Dialect::postgres; }
  bool healthy() const noexcept override { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

  void execute_script(std::string_view sql) override {
    std::string s(sql);
    PGresult* res = PQexec(conn_, s.c_str());
    check(res);
    PQclear(res);
  }

  Result query(std::string_view sql, std::span<const Value> params) override {
    size_t n = params.size();
    std::vector<std::string> storage(n);
    std::vector<const char*> values(n);
    std::vector<int> lengths(n), formats(n);
    std::vector<Oid> types(n);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values[i] = nullptr;
      } else if (auto b = std::get_if<Blob>(&v)) {
        values[i] = b->bytes.data();
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;
        types[i] = kByteaOid;
      } else {
        if (auto iv = std::get_if<int64_t>(&v))
          storage[i] = std::to_string(*iv);
        else if (auto d = std::get_if<double>(&v))
          storage[i] = std::to_string(*d);
        else
          storage[i] = std::get<std::string>(v);
        values[i] = storage[i].c_str();
      }
    }
    PGresult* res = nullptr;
    // Which parameters are bytea is part of the statement (its parameter types). A text is
    // prepared the second time it comes: texts made for one request (the analytics reports
    // write their bucket bounds into the SQL) are not kept on the server.
    std::string key;
    bool prepare = preparable(sql);
    if (prepare) {
      key.assign(sql);
      key += '\x01';
      for (size_t i = 0; i < n; ++i) key += types[i] == kByteaOid ? 'b' : '-';
      if (!prepared_.count(key)) {
        if (seen_once_.size() >= kMaxPrepared * 4) seen_once_.clear();
        prepare = !seen_once_.insert(key).second;
        if (prepare) seen_once_.erase(key);
      }
    }
    for (int tries = 0; tries < 2 && prepare; ++tries) {
      auto it = prepared_.find(key);
      if (it == prepared_.end()) {
        if (prepared_.size() >= kMaxPrepared) {
          PGresult* d = PQexec(conn_, "DEALLOCATE ALL");
          check(d);
          PQclear(d);
          prepared_.clear();
        }
        std::string name = "gw" + std::to_string(++prepared_seq_);
        PGresult* p = PQprepare(conn_, name.c_str(), to_postgres_placeholders(sql).c_str(),
                                static_cast<int>(n), types.data());
        check(p);
        PQclear(p);
        it = prepared_.emplace(key, std::move(name)).first;
      }
      res = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(n), values.data(),
                           lengths.data(), formats.data(), 0);
      if (!stale(res)) break;
      // "cached plan must not change result type" after a schema change, or the statement is
      // gone (DISCARD ALL): prepared again, at once unless a transaction was open (it is
      // aborted now; the caller sees the error).
      const bool in_transaction = PQtransactionStatus(conn_) != PQTRANS_IDLE;
      PQclear(PQexec(conn_, ("DEALLOCATE " + it->second).c_str()));
      prepared_.erase(it);
      if (in_transaction) break;
      PQclear(res);
      res = nullptr;
    }
    if (!res) {
      const std::string text = to_postgres_placeholders(sql);
      res = PQexecParams(conn_, text.c_str(), static_cast<int>(n), types.data(), values.data(),
                         lengths.data(), formats.data(), 0);
    }
    check(res);
    // A COMMIT after a failed statement (whose error the caller caught) answers "ROLLBACK", not
    // an error: the caller must not go on as if its writes were stored (an incoming message
    // would be acknowledged to WhatsApp and lost).
    if (n == 0 && util::iequals(util::trim(sql), "COMMIT") &&
        std::string_view(PQcmdStatus(res)) == "ROLLBACK") {
      PQclear(res);
      throw DbError(DbError::Kind::other,
                    "COMMIT rolled the transaction back: a statement in it had failed");
    }
    Result r;
    int ncols = PQnfields(res);
    int nrows = PQntuples(res);
    std::vector<Oid> col_types(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      r.columns.emplace_back(PQfname(res, c));
      col_types[static_cast<size_t>(c)] = PQftype(res, c);
    }
    r.rows.reserve(static_cast<size_t>(nrows));
    for (int row = 0; row < nrows; ++row) {
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, row, c)) {
          cells.emplace_back(nullptr);
          continue;
        }
        std::string_view raw(PQgetvalue(res, row, c),
                             static_cast<size_t>(PQgetlength(res, row, c)));
        cells.push_back(convert(col_types[static_cast<size_t>(c)], raw));
      }
      r.rows.emplace_back(std::move(cells));
    }
    const char* affected = PQcmdTuples(res);
    r.affected = (affected && *affected) ? std::stoll(affected) : 0;
    PQclear(res);
    return r;
  }

 private:
  static constexpr std::size_t kMaxPrepared = 512;

  // Queries are prepared; transaction control, SET, DDL and the like run as they come.
  static bool preparable(std::string_view sql) {
    const auto word = util::trim(sql).substr(0, 6);
    return util::iequals(word, "SELECT") || util::iequals(word, "INSERT") ||
           util::iequals(word, "UPDATE") || util::iequals(word, "DELETE") ||
           util::iequals(word.substr(0, 4), "WITH");
  }

  static bool stale(PGresult* res) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    return state && (std::string_view(state) == "0A000" || std::string_view(state) == "26000");
  }

  static Value convert(Oid type, std::string_view raw) {
    switch (type) {
      case kBoolOid:
        return static_cast<int64_t>(raw == "t" ? 1 : 0);
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid:
        return static_cast<int64_t>(std::stoll(std::string(raw)));
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid:
        return std::stod(std::string(raw));
      case kByteaOid: {
        // Text output of bytea is "\x" followed by hex digits.
        std::string out;
        if (raw.size() >= 2 && raw[0] == '\\' && raw[1] == 'x') {
          out.reserve((raw.size() - 2) / 2);
          for (size_t i = 2; i + 1 < raw.size(); i += 2) {
            out.push_back(
                static_cast<char>(util::hex_value(raw[i]) * 16 + util::hex_value(raw[i + 1])));
          }
        }
        return Blob{std::move(out)};
      }
      case kTimestampOid:
      case kTimestamptzOid:
        if (auto t = util::parse_iso8601(raw)) return util::iso8601(*t);
        return std::string(raw);
      default:
        return std::string(raw);
    }
  }

  void check(PGresult* res) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    std::string msg =
        std::string(util::trim(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_)));
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    if (res) PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") ||
        sqlstate.starts_with("57P")) {
      throw DbError(DbError::Kind::unavailable, "PostgreSQL connection lost: " + msg);
    }
    if (sqlstate == "23505") throw DbError(DbError::Kind::unique_violation, msg);
    if (sqlstate.starts_with("23")) throw DbError(DbError::Kind::constraint, msg);
    throw DbError(DbError::Kind::other, msg);
  }

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text + bytea params -> name
  std::unordered_set<std::string> seen_once_;              // run once, not prepared yet
  uint64_t prepared_seq_ = 0;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url) {
  return std::make_unique<PgConnection>(url);
}

}  // namespace gw::db
