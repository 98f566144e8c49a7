#pragma once
// Schema migrations: numbered up/down SQL files per dialect (gateway/migrations/<dialect>/
// NNNN_name.up.sql + .down.sql), embedded in the binary at build time, tracked in the
// schema_migrations table. Each migration runs in one transaction. Never edit an applied one:
// add a new file.
#include <string>
#include <vector>

#include "db/database.hpp"

namespace gw::db {

/// One embedded file (generated table, see cmake/EmbedMigrations.cmake).
struct MigrationFile {
  const char* dialect;  // "sqlite" | "postgres"
  int version;
  const char* name;
  const char* direction;  // "up" | "down"
  const char* sql;
};
const std::vector<MigrationFile>& embedded_migration_files();

struct Migration {
  int version = 0;
  std::string name;
  std::string up;
  std::string down;
};

struct MigrationStatus {
  int version = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;  // empty when pending
};

/// The migrations for a dialect, ordered by version; throws if a version lacks its up or down.
std::vector<Migration> migrations_for(Dialect dialect);

class Migrator {
 public:
  Migrator(Database& db, std::vector<Migration> migrations);
  explicit Migrator(Database& db);  // the embedded migrations of db's dialect

  /// Applies pending migrations in order; returns how many were applied. Throws DbError when
  /// the database has a version this binary does not know (a newer build migrated it).
  int up();
  /// Rolls back the last `steps` applied migrations; returns how many were rolled back.
  int down(int steps = 1);
  [[nodiscard]] std::vector<MigrationStatus> status();
  /// Highest applied version, 0 when none.
  [[nodiscard]] int current_version();

 private:
  void ensure_table(Connection& c);
  Database& db_;
  std::vector<Migration> migrations_;
};

}  // namespace gw::db
