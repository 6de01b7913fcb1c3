#include "tls_certs.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace it {

namespace {

void run(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

// Key + certificate signed by the CA, with the given subjectAltName.
TlsFiles issue(const std::string& dir, const std::string& name, const std::string& san) {
  const std::string base = dir + "/" + name;
  {
    std::ofstream ext(base + ".ext");
    ext << "subjectAltName=" << san << "\nbasicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
  }
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base + ".key -out " + base +
      ".csr -subj /CN=" + name);
  run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/ca.pem -CAkey " + dir + "/ca.key -CAcreateserial -out " +
      base + ".pem -days 2 -sha256 -extfile " + base + ".ext");
  return TlsFiles{base + ".pem", base + ".key"};
}

// Like issue(), but valid only from `start` to `end` (YYYYMMDDHHMMSSZ): only
// `openssl ca` takes explicit dates in OpenSSL 3.0 (`x509 -req` has just -days).
TlsFiles issue_dated(const std::string& dir, const std::string& name, const std::string& san,
                     const std::string& start, const std::string& end) {
  const std::string base = dir + "/" + name;
  {
    std::ofstream ext(base + ".ext");
    ext << "subjectAltName=" << san << "\nbasicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
    std::ofstream cnf(dir + "/ca.cnf");
    cnf << "[ca]\ndefault_ca=test\n[test]\ndatabase=" << dir << "/ca-index.txt\nnew_certs_dir=" << dir
        << "\nserial=" << dir << "/ca-serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n";
    std::ofstream(dir + "/ca-index.txt");
    std::ofstream(dir + "/ca-serial") << "1000\n";
  }
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base + ".key -out " + base +
      ".csr -subj /CN=" + name);
  run("openssl ca -batch -notext -config " + dir + "/ca.cnf -cert " + dir + "/ca.pem -keyfile " + dir +
      "/ca.key -in " + base + ".csr -out " + base + ".pem -startdate " + start + " -enddate " + end + " -extfile " +
      base + ".ext");
  return TlsFiles{base + ".pem", base + ".key"};
}

TestPki make() {
  char tmpl[] = "/tmp/asyncfetch-it-pki-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  TestPki p;
  p.dir = tmpl;
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + p.dir +
      "/ca.key -out " + p.dir + "/ca.pem -days 2 -sha256 -subj /CN=asyncfetch-test-ca" +
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  p.ca = p.dir + "/ca.pem";
  p.server = issue(p.dir, "server", "IP:127.0.0.1,DNS:localhost");
  p.wrong_name = issue(p.dir, "other", "DNS:other.invalid");
  p.expired = issue_dated(p.dir, "expired", "IP:127.0.0.1,DNS:localhost", "20200101000000Z", "20200201000000Z");
  return p;
}

}  // namespace

const TestPki& test_pki() {
  // Removed at exit with everything in it.
  static const struct Holder {
    TestPki pki = make();
    ~Holder() {
      std::error_code ignored;
      std::filesystem::remove_all(pki.dir, ignored);
    }
  } holder;
  return holder.pki;
}

ServiceOptions trusting_test_ca(std::vector<std::string> flags) {
  ServiceOptions o;
  o.flags = {"--ca_file=" + test_pki().ca};
  o.flags.insert(o.flags.end(), flags.begin(), flags.end());
  return o;
}

}  // namespace it
