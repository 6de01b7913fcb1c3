#include "runtime/cancellation.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace runtime {

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

void throw_cancelled() {
  throw boost::system::system_error(boost::asio::error::operation_aborted);
}

}  // namespace runtime
