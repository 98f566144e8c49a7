# Media (issue 12): pure crypto (crypto.cpp), image headers and thumbnails (image.cpp), media_conn
# and upload/download addressing (transfer.cpp), the HTTPS client (https.cpp, the second Beast
# translation unit) and the media retry receipt and notification (retry.cpp). Included from wa/CMakeLists.txt after add_library(wa).
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/crypto.cpp
)
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/transfer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/https.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry.cpp
)
# Thumbnails: libjpeg-turbo (Debian libjpeg-dev) and libpng (found in cmake/Dependencies.cmake).
target_link_libraries(wa PRIVATE JPEG::JPEG PkgConfig::LIBPNG)
