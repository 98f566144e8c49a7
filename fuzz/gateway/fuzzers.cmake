# Gateway fuzz targets (included by fuzz/CMakeLists.txt). Each builds the parser sources it needs
# directly, so the fuzzers do not depend on the gateway's own CMake target.
set(GW_SRC ${REPO_ROOT}/gateway/src)

# Authorization header: Basic and Bearer parsing, strict base64 codecs.
add_fuzzer(basic_auth
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/basic_auth_fuzz.cpp
          ${GW_SRC}/auth/basic_auth.cpp ${GW_SRC}/auth/crypto.cpp ${GW_SRC}/util/strings.cpp
  LIBS OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# JWT verification (header, signature, claims) and sign/verify round trips.
add_fuzzer(jwt
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/jwt_fuzz.cpp
          ${GW_SRC}/auth/jwt.cpp ${GW_SRC}/auth/crypto.cpp ${GW_SRC}/util/strings.cpp
  LIBS Boost::json OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# JSON request bodies and Content-Type.
add_fuzzer(json_body
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_body_fuzz.cpp ${GW_SRC}/http/json_body.cpp
          ${GW_SRC}/util/strings.cpp
  LIBS Boost::json
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# Session input validation: names, webhook URLs (the SSRF gate), phone numbers, address classes.
add_fuzzer(session_validation
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/session_validation_fuzz.cpp
          ${GW_SRC}/sessions/validation.cpp
  LIBS Boost::url
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# Retry-After of webhook responses: delta-seconds and the three HTTP-date forms. The parser lives
# in the webhook HTTP client, so the client (and the SSRF classifier it calls) is built with it.
add_fuzzer(retry_after
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retry_after_fuzz.cpp
          ${GW_SRC}/webhooks/http_client.cpp ${GW_SRC}/sessions/validation.cpp
          ${GW_SRC}/util/strings.cpp
  LIBS Boost::url OpenSSL::SSL OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include
  # clang 14's -fsanitize=function cannot emit its prologue data for coroutine funclets ("Cannot
  # represent a difference across sections"); the client is full of coroutines.
  OPTIONS -fno-sanitize=function)

# Text from WhatsApp senders made storable (invalid UTF-8 and NUL replaced) before the database.
add_fuzzer(storable_text
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/storable_text_fuzz.cpp ${GW_SRC}/util/strings.cpp
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The send API's request body: recipient, type, media (base64 / data: URLs), location, contact,
# mentions.
add_fuzzer(send_request
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/send_request_fuzz.cpp ${GW_SRC}/outbound/request.cpp
          ${GW_SRC}/http/json_body.cpp ${GW_SRC}/http/errors.cpp ${GW_SRC}/auth/crypto.cpp
          ${GW_SRC}/util/strings.cpp ${REPO_ROOT}/wa/src/jid/jid.cpp ${REPO_ROOT}/wa/src/error.cpp
  LIBS Boost::json OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The analytics API's start_date/end_date and tz parameters (the tz database is the system's).
add_fuzzer(analytics_query
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/analytics_query_fuzz.cpp ${GW_SRC}/analytics/zone.cpp
  LIBS date::date-tz
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# A webhook response body: {"reply": "…"} or a reply object with the send API's fields.
add_fuzzer(webhook_reply
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/webhook_reply_fuzz.cpp ${GW_SRC}/outbound/request.cpp
          ${GW_SRC}/http/errors.cpp ${GW_SRC}/auth/crypto.cpp
          ${GW_SRC}/util/strings.cpp ${REPO_ROOT}/wa/src/jid/jid.cpp ${REPO_ROOT}/wa/src/error.cpp
  LIBS Boost::json OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# A media download's Range header and the exp/sig of its signed URL.
add_fuzzer(media_range
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/media_range_fuzz.cpp ${GW_SRC}/media/range.cpp
          ${GW_SRC}/media/signing.cpp ${GW_SRC}/auth/crypto.cpp
  LIBS OpenSSL::Crypto
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The dashboard's static files: request path -> file name (no traversal), Accept-Encoding.
add_fuzzer(static_site
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/static_site_fuzz.cpp ${GW_SRC}/http/static_site.cpp
          ${GW_SRC}/http/message.cpp ${GW_SRC}/util/strings.cpp
  LIBS ZLIB::ZLIB
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The body of the sandbox's POST /api/v1/sandbox/sessions/:id/incoming (a simulated contact's
# message): field validation and the command sent to the sandbox driver.
add_fuzzer(sandbox_incoming
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sandbox_incoming_fuzz.cpp ${GW_SRC}/sandbox/incoming.cpp
          ${GW_SRC}/http/json_body.cpp ${GW_SRC}/http/errors.cpp ${GW_SRC}/sessions/validation.cpp
          ${GW_SRC}/util/strings.cpp
  LIBS Boost::json Boost::url
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The body of POST /api/v1/sessions/:id/webhooks (webhook subscriptions).
add_fuzzer(subscription_body
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/subscription_body_fuzz.cpp
          ${GW_SRC}/webhooks/subscription_body.cpp ${GW_SRC}/sessions/validation.cpp
          ${GW_SRC}/http/json_body.cpp ${GW_SRC}/http/errors.cpp ${GW_SRC}/util/strings.cpp
  LIBS Boost::json Boost::url
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# The client address: X-Forwarded-For against TRUSTED_PROXIES, address / CIDR parsing, limit keys.
add_fuzzer(client_ip
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/client_ip_fuzz.cpp ${GW_SRC}/http/client_ip.cpp
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)

# Messages a dashboard client sends on its live-event socket (only {"type":"ping"} is taken).
add_fuzzer(ws_client_message
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/ws_client_message_fuzz.cpp ${GW_SRC}/ws/client_message.cpp
  LIBS Boost::json
  INCLUDES ${GW_SRC} ${REPO_ROOT}/wa/include)
