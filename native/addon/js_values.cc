#include "addon/js_values.h"

#include <cmath>

namespace unet::js {

namespace {

[[noreturn]] void typeError(const Napi::Env& env, const char* key, const char* expected) {
  throw Napi::TypeError::New(env, std::string(key) + ": expected " + expected);
}

}  // namespace

bool has(const Napi::Object& object, const char* key) {
  return object.Has(key) && !object.Get(key).IsUndefined();
}

bool getBool(const Napi::Object& object, const char* key, bool fallback) {
  if (!has(object, key)) return fallback;
  const auto value = object.Get(key);
  if (!value.IsBoolean()) typeError(object.Env(), key, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

double getNumber(const Napi::Object& object, const char* key, double fallback) {
  if (!has(object, key)) return fallback;
  const auto value = object.Get(key);
  if (!value.IsNumber()) typeError(object.Env(), key, "a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number)) typeError(object.Env(), key, "a finite number");
  return number;
}

int64_t getInteger(const Napi::Object& object, const char* key, int64_t fallback) {
  if (!has(object, key)) return fallback;
  const double number = getNumber(object, key, 0);
  if (number != std::floor(number) || std::fabs(number) > kMaxSafeInteger) {
    typeError(object.Env(), key, "an integer");
  }
  return static_cast<int64_t>(number);
}

std::string getString(const Napi::Object& object, const char* key, const std::string& fallback) {
  if (!has(object, key)) return fallback;
  return requireString(object.Get(key), key);
}

std::vector<double> getNumberList(const Napi::Object& object, const char* key) {
  if (!has(object, key)) return {};
  const auto value = object.Get(key);
  if (value.IsNumber()) return {getNumber(object, key, 0)};
  if (!value.IsArray()) typeError(object.Env(), key, "a number or an array of numbers");
  const auto array = value.As<Napi::Array>();
  std::vector<double> numbers;
  numbers.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const auto item = array.Get(i);
    if (!item.IsNumber() || !std::isfinite(item.As<Napi::Number>().DoubleValue())) {
      typeError(object.Env(), key, "an array of finite numbers");
    }
    numbers.push_back(item.As<Napi::Number>().DoubleValue());
  }
  return numbers;
}

std::optional<uint64_t> optionalSeed(const Napi::Value& value, const char* name) {
  if (value.IsUndefined()) return std::nullopt;
  if (!value.IsNumber()) typeError(value.Env(), name, "a non-negative integer");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0) || number != std::floor(number) || number > kMaxSafeInteger) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + ": expected a non-negative integer");
  }
  return static_cast<uint64_t>(number);
}

Napi::Value numberOrNull(Napi::Env env, double value) {
  return std::isnan(value) ? env.Null() : Napi::Number::New(env, value);
}

Napi::Object requireObject(const Napi::Value& value, const char* name) {
  if (!value.IsObject()) typeError(value.Env(), name, "an object");
  return value.As<Napi::Object>();
}

std::string requireString(const Napi::Value& value, const char* name) {
  if (!value.IsString()) typeError(value.Env(), name, "a string");
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace unet::js
