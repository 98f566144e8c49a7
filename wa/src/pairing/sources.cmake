# Pairing, ADV part (verification only): pure functions over pair-success.
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/adv.cpp
)
