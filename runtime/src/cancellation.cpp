#include "runtime/cancellation.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace runtime {

namespace {
// Asio's own text when there is no message, as Asio's cancellation errors have.
// system_error formats its what() text when it is made (strerror, the code's
// category and value); without a message that text is always the same, so it
// is made once and shared (runtime_error's copies share the string).
boost::system::system_error aborted(const std::string& message) {
  const boost::system::error_code ec = boost::asio::error::operation_aborted;
  if (!message.empty()) return boost::system::system_error(ec, message);
  static const boost::system::system_error plain(ec);
  return plain;
}
}  // namespace

CancelledError::CancelledError(std::string message)
    : boost::system::system_error(aborted(message)), message_(std::move(message)) {}

bool is_cancellation(const std::exception& e) noexcept {
  auto* se = dynamic_cast<const boost::system::system_error*>(&e);
  return se && se->code() == boost::asio::error::operation_aborted;
}

bool is_cancellation(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return is_cancellation(ex);
  } catch (...) {
    return false;
  }
}

void throw_cancelled() { throw CancelledError(); }

}  // namespace runtime
