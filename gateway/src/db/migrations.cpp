#include "db/migrations.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "util/time.hpp"

namespace gw::db {

namespace {
// Serialises migrations between gateway processes sharing one PostgreSQL.
constexpr int64_t kPgAdvisoryLockKey = 0x7761677731;  // "wagw1"

class MigrationLock {
 public:
  // Migrations (and waiting for another process's) may take longer than the statement and lock
  // timeouts every connection has (db/postgres.cpp): lifted here, restored at the end.
  explicit MigrationLock(Connection& c) : c_(c) {
    if (c_.dialect() != Dialect::postgres) return;
    c_.execute_script("SET statement_timeout = 0; SET lock_timeout = 0;");
    try {
      c_.query("SELECT pg_advisory_lock(?)", {kPgAdvisoryLockKey});
    } catch (...) {
      restore_timeouts();
      throw;
    }
  }
  ~MigrationLock() {
    if (c_.dialect() != Dialect::postgres) return;
    try {
      c_.query("SELECT pg_advisory_unlock(?)", {kPgAdvisoryLockKey});
    } catch (const std::exception&) {
    }
    restore_timeouts();
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  void restore_timeouts() noexcept {
    try {
      c_.execute_script("RESET statement_timeout; RESET lock_timeout;");
    } catch (const std::exception&) {
    }
  }

  Connection& c_;
};

std::map<int, std::pair<std::string, std::string>> applied_versions(Connection& c) {
  std::map<int, std::pair<std::string, std::string>> out;
  for (const auto& row :
       c.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").rows) {
    out[static_cast<int>(row.integer(0))] = {row.text(1), row.text(2)};
  }
  return out;
}
}  // namespace

std::vector<Migration> migrations_for(Dialect dialect) {
  const char* want = dialect == Dialect::sqlite ? "sqlite" : "postgres";
  std::map<int, Migration> by_version;
  for (const auto& f : embedded_migration_files()) {
    if (std::string_view(f.dialect) != want) continue;
    auto& m = by_version[f.version];
    m.version = f.version;
    m.name = f.name;
    (std::string_view(f.direction) == "up" ? m.up : m.down) = f.sql;
  }
  std::vector<Migration> out;
  for (auto& [v, m] : by_version) {
    if (m.up.empty() || m.down.empty()) {
      throw DbError(DbError::Kind::other, "migration " + std::to_string(v) + " (" + m.name +
                                              ") lacks its up or down file");
    }
    out.push_back(std::move(m));
  }
  return out;
}

Migrator::Migrator(Database& db, std::vector<Migration> migrations)
    : db_(db), migrations_(std::move(migrations)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
}

Migrator::Migrator(Database& db) : Migrator(db, migrations_for(db.dialect())) {}

void Migrator::ensure_table(Connection& c) {
  c.execute_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL,"
      " applied_at TEXT NOT NULL)");
}

int Migrator::up() {
  return db_.with_connection([&](Connection& c) {
    MigrationLock lock(c);
    ensure_table(c);
    auto applied = applied_versions(c);
    std::set<int> known;
    for (const auto& m : migrations_) known.insert(m.version);
    for (const auto& [v, info] : applied) {
      if (!known.count(v)) {
        throw DbError(DbError::Kind::other,
                      "database has migration " + std::to_string(v) + " (" + info.first +
                          ") that this build does not know; run a newer wa-gateway or migrate down "
                          "with the build that applied it");
      }
    }
    int count = 0;
    for (const auto& m : migrations_) {
      if (applied.count(m.version)) continue;
      Transaction tx(c);
      c.execute_script(m.up);
      c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
              {static_cast<int64_t>(m.version), m.name, util::iso8601_now()});
      tx.commit();
      ++count;
    }
    return count;
  });
}

int Migrator::down(int steps) {
  return db_.with_connection([&](Connection& c) {
    MigrationLock lock(c);
    ensure_table(c);
    auto applied = applied_versions(c);
    int count = 0;
    for (auto it = applied.rbegin(); it != applied.rend() && count < steps; ++it) {
      auto m = std::find_if(migrations_.begin(), migrations_.end(),
                            [&](const Migration& x) { return x.version == it->first; });
      if (m == migrations_.end()) {
        throw DbError(DbError::Kind::other, "cannot roll back migration " +
                                                std::to_string(it->first) +
                                                ": this build does not have its down file");
      }
      Transaction tx(c);
      c.execute_script(m->down);
      c.query("DELETE FROM schema_migrations WHERE version = ?",
              {static_cast<int64_t>(m->version)});
      tx.commit();
      ++count;
    }
    return count;
  });
}

std::vector<MigrationStatus> Migrator::status() {
  return db_.with_connection([&](Connection& c) {
    ensure_table(c);
    auto applied = applied_versions(c);
    std::vector<MigrationStatus> out;
    for (const auto& m : migrations_) {
      MigrationStatus s{m.version, m.name, false, ""};
      if (auto it = applied.find(m.version); it != applied.end()) {
        s.applied = true;
        s.applied_at = it->second.second;
      }
      out.push_back(std::move(s));
    }
    for (const auto& entry : applied) {
      const auto v = entry.first;  // a copy: lambdas may not capture structured bindings (clang 14)
      const auto& info = entry.second;
      bool known = std::any_of(migrations_.begin(), migrations_.end(),
                               [&](const Migration& m) { return m.version == v; });
      if (!known) out.push_back({v, info.first + " (unknown to this build)", true, info.second});
    }
    return out;
  });
}

int Migrator::current_version() {
  return db_.with_connection([&](Connection& c) {
    ensure_table(c);
    auto rows = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").rows;
    return static_cast<int>(rows.at(0).integer(0));
  });
}

}  // namespace gw::db
