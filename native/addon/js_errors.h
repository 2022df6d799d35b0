// Turns any C++ or libtorch exception into a JS error a user can act on. Every entry point goes
// through guard(), every worker through describeCurrentException(): nothing thrown natively reaches Node.
#pragma once

#include <napi.h>

#include <string>

namespace unet::js {

enum class ErrorKind { Error, TypeError, RangeError };

struct CaughtError {
  ErrorKind kind = ErrorKind::Error;
  std::string message;
};

// Call only inside a catch block: classifies the exception being handled.
CaughtError describeCurrentException();

Napi::Error toJsError(Napi::Env env, const CaughtError& error);

template <typename Body>
Napi::Value guard(const Napi::CallbackInfo& info, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw toJsError(info.Env(), describeCurrentException());
  }
}

}  // namespace unet::js
