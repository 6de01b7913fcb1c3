// A throw-away PKI made at test time with the `openssl` CLI in a temp dir:
// a test CA, a server certificate it signs for 127.0.0.1 and localhost, and
// one it signs for another name only (to check host name verification), and
// one for the right names whose validity ended long ago.
#pragma once

#include <string>
#include <vector>

#include "service_process.hpp"
#include "upstream.hpp"

namespace it {

struct TestPki {
  std::string dir;
  std::string ca;             // CA certificate (PEM): pass as --ca_file
  TlsFiles server;            // for IP:127.0.0.1 and DNS:localhost
  TlsFiles wrong_name;        // for DNS:other.invalid only
  TlsFiles expired;           // for IP:127.0.0.1 and DNS:localhost, valid only in January 2020
};

// Made once per test run (cached); throws when openssl fails.
const TestPki& test_pki();

// Options for a service that trusts the test CA, with `flags` after that.
ServiceOptions trusting_test_ca(std::vector<std::string> flags = {});

}  // namespace it
