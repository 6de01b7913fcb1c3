# Unit tests of asyncfetch_codec: content decoders, trace context, request ids.
add_executable(wire_codec_tests
  ${CMAKE_CURRENT_LIST_DIR}/test_encoders.cpp
  ${CMAKE_CURRENT_LIST_DIR}/content_coding_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/content_decoder_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_context_test.cpp
)
target_link_libraries(wire_codec_tests PRIVATE asyncfetch_codec test_framework Threads::Threads
                                               ZLIB::ZLIB PkgConfig::BROTLIENC PkgConfig::ZSTD)
catch_discover_tests(wire_codec_tests PROPERTIES TIMEOUT 60)
