# Media: pure crypto (crypto.cpp), image headers and thumbnails (image.cpp), media_conn
# and upload/download addressing (transfer.cpp) and the HTTPS client (https.cpp, the second Beast
# translation unit). Included from wa/CMakeLists.txt after add_library(wa).
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/crypto.cpp
)
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/transfer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/https.cpp
)
# Thumbnails: libjpeg-turbo (Debian libjpeg-dev) and libpng (found in cmake/Dependencies.cmake).
target_link_libraries(wa PRIVATE JPEG::JPEG PkgConfig::LIBPNG)
