# Device store: interface, in-memory and SQLite implementations.
# Included from wa/CMakeLists.txt after add_library(wa).
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_store.cpp
)
target_link_libraries(wa PRIVATE PkgConfig::SQLITE3)
