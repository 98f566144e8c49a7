# The client: pairing, login, prekeys, keepalive, reconnect, logout;
# receiving (receive.cpp) and sending (send.cpp) end-to-end encrypted messages.
# Included from wa/CMakeLists.txt after add_library(wa).
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/backoff.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disconnect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/iq.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pair_code.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stanzas.cpp
  ${CMAKE_CURRENT_LIST_DIR}/payload.cpp
  ${CMAKE_CURRENT_LIST_DIR}/receive.cpp
  ${CMAKE_CURRENT_LIST_DIR}/send.cpp
  ${CMAKE_CURRENT_LIST_DIR}/compose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pairing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/prekeys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/keepalive.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notifications.cpp
  ${CMAKE_CURRENT_LIST_DIR}/messaging.cpp
  ${CMAKE_CURRENT_LIST_DIR}/media.cpp
  ${CMAKE_CURRENT_LIST_DIR}/contacts.cpp
)
