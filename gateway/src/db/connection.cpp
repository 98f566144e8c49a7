#include "db/connection.hpp"

namespace gw::db {

void Connection::for_each_row(std::string_view sql, std::span<const Value> params,
                              const std::function<void(const Row&)>& on_row) {
  for (const auto& row : query(sql, params).rows) on_row(row);
}

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
