# Content decoding (gzip, deflate, br, zstd), trace context and request ids:
# pure code of the wire part, no I/O. The coding libraries stay private: no
# public header includes them.
add_library(asyncfetch_codec
  ${CMAKE_CURRENT_LIST_DIR}/src/content_coding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/content_decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/memory_meter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/zlib_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/brotli_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/zstd_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/random_bytes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/trace_context.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/request_id.cpp
)
target_include_directories(asyncfetch_codec PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(asyncfetch_codec PRIVATE ZLIB::ZLIB PkgConfig::BROTLIDEC PkgConfig::ZSTD)
