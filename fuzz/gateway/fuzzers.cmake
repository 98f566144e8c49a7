# Gateway fuzz targets (included by fuzz/CMakeLists.txt). Each builds the parser sources it needs
# directly, so the fuzzers do not depend on the gateway's own CMake target.
set(GW_SRC ${REPO_ROOT}/gateway/src)

# Authorization header: Basic and Bearer parsing, strict base64 codecs.
add_fuzzer(basic_auth
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/basic_auth_fuzz.cpp
          ${GW_SRC}/auth/basic_auth.cpp ${GW_SRC}/auth/crypto.cpp ${GW_SRC}/util/strings.cpp
  LIBS OpenSSL::Crypto
  INCLUDES ${GW_SRC})

# JWT verification (header, signature, claims) and sign/verify round trips.
add_fuzzer(jwt
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/jwt_fuzz.cpp
          ${GW_SRC}/auth/jwt.cpp ${GW_SRC}/auth/crypto.cpp
  LIBS Boost::json OpenSSL::Crypto
  INCLUDES ${GW_SRC})

# JSON request bodies and Content-Type.
add_fuzzer(json_body
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_body_fuzz.cpp ${GW_SRC}/http/json_body.cpp
          ${GW_SRC}/util/strings.cpp
  LIBS Boost::json
  INCLUDES ${GW_SRC})

# Session input validation: names, webhook URLs (the SSRF gate), phone numbers, address classes.
add_fuzzer(session_validation
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/session_validation_fuzz.cpp
          ${GW_SRC}/sessions/validation.cpp
  LIBS Boost::url
  INCLUDES ${GW_SRC})
