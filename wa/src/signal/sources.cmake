# Signal: libsignal-protocol-c with an OpenSSL 3 crypto provider, store adapters,
# key generation, XEdDSA, sessions and sender keys. libsignal stays a private dependency of wa.
if(NOT TARGET PkgConfig::SIGNAL)
  pkg_check_modules(SIGNAL REQUIRED IMPORTED_TARGET GLOBAL libsignal-protocol-c)
endif()
target_sources(wa PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/crypto_provider.cpp
  ${CMAKE_CURRENT_LIST_DIR}/context.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_adapter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/keys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/protocol.cpp
)
target_link_libraries(wa PRIVATE PkgConfig::SIGNAL OpenSSL::Crypto)
