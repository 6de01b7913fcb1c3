// Catch2 v2's main for wire_codec_tests (with v3, test_framework brings it).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
