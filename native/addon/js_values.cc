#include "addon/js_values.h"

#include <cmath>

#include "core/options/range.h"

namespace unet::js {

std::optional<uint64_t> optionalSeed(const Napi::Value& value, const char* name) {
  if (value.IsUndefined()) return std::nullopt;
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(number >= 0) || number != std::floor(number) || number > kMaxSafeInteger) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + ": expected an integer from 0 to " +
                                                 range::jsNumber(kMaxSafeInteger) + ", got " +
                                                 value.ToString().Utf8Value());
  }
  return static_cast<uint64_t>(number);
}

Napi::Value numberOrNull(Napi::Env env, double value) {
  return std::isnan(value) ? env.Null() : Napi::Number::New(env, value);
}

Napi::Object requireObject(const Napi::Value& value, const char* name) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), std::string(name) + ": expected an object");
  return value.As<Napi::Object>();
}

std::string requireString(const Napi::Value& value, const char* name) {
  if (!value.IsString()) throw Napi::TypeError::New(value.Env(), std::string(name) + ": expected a string");
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace unet::js
