#include "addon/js_errors.h"

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>

namespace unet::js {

CaughtError describeCurrentException() {
  try {
    throw;
  } catch (const c10::IndexError& e) {
    return {ErrorKind::RangeError, e.what_without_backtrace()};
  } catch (const c10::ValueError& e) {
    return {ErrorKind::RangeError, e.what_without_backtrace()};
  } catch (const c10::TypeError& e) {
    return {ErrorKind::TypeError, e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    // libtorch's messages name its internals; say so, so users know the shape or value came from there.
    return {ErrorKind::Error, std::string("libtorch: ") + e.what_without_backtrace()};
  } catch (const std::invalid_argument& e) {
    return {ErrorKind::RangeError, e.what()};
  } catch (const std::out_of_range& e) {
    return {ErrorKind::RangeError, e.what()};
  } catch (const std::bad_alloc&) {
    return {ErrorKind::RangeError, "out of memory: the tensors of this call do not fit; use smaller inputs"};
  } catch (const std::exception& e) {
    return {ErrorKind::Error, e.what()};
  } catch (...) {
    return {ErrorKind::Error, "unknown native error"};
  }
}

Napi::Error toJsError(Napi::Env env, const CaughtError& error) {
  switch (error.kind) {
    case ErrorKind::TypeError: return Napi::TypeError::New(env, error.message);
    case ErrorKind::RangeError: return Napi::RangeError::New(env, error.message);
    case ErrorKind::Error: break;
  }
  return Napi::Error::New(env, error.message);
}

}  // namespace unet::js
