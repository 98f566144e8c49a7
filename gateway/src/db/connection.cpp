#include "db/connection.hpp"

namespace gw::db {

void Connection::begin() {
  query(dialect() == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN", {});
}
void Connection::commit() {
  query("COMMIT", {});
}
void Connection::rollback() noexcept {
  try {
    query("ROLLBACK", {});
  } catch (const std::exception&) {
    // The connection may already be broken; the pool discards unhealthy connections.
  }
}

}  // namespace gw::db
