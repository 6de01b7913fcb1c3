// The integration suite's one Catch2 main: every test starts the real
// asyncfetch binary (ASYNCFETCH_BINARY) against upstreams it controls.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
