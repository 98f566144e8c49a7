# Message content and framing: pure functions over decrypted bytes.
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/content.cpp
  ${CMAKE_CURRENT_LIST_DIR}/framing.cpp
)
