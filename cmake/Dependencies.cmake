# Every dependency comes from Debian bookworm packages (see scripts/install-deps.sh).
set(Boost_NO_WARN_NEW_VERSIONS ON)
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json url system)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
# Time zones for analytics (libstdc++ 12 has no std::chrono::locate_zone): Debian's build of
# Howard Hinnant's date library, reading the system tz database (USE_OS_TZDB).
find_package(date REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
# QR codes of pairing strings as PNG images (gateway/src/sessions/qr_image.cpp).
pkg_check_modules(LIBQRENCODE REQUIRED IMPORTED_TARGET libqrencode)
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng)
# Media thumbnails in the WhatsApp library (wa/src/media/inspect.cpp): libjpeg-turbo.
find_package(JPEG REQUIRED)

# Asio/Beast as used everywhere in this project: C++20 coroutines, no deprecated API.
add_library(asio_options INTERFACE)
target_link_libraries(asio_options INTERFACE Boost::headers Boost::system Threads::Threads)
target_compile_definitions(asio_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_DISABLE_BOOST_COROUTINE)
