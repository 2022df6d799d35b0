#include "addon/option_reader.h"

#include <algorithm>
#include <cmath>

#include "addon/js_values.h"
#include "core/options/range.h"

namespace unet::js {

std::string describeValue(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsArray()) return "an array";
  if (value.IsString()) return "'" + value.As<Napi::String>().Utf8Value() + "'";
  if (value.IsNumber()) return range::jsNumber(value.As<Napi::Number>().DoubleValue());
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value() ? "true" : "false";
  if (value.IsObject()) {
    const auto constructor = value.As<Napi::Object>().Get("constructor");
    if (constructor.IsFunction()) return constructor.As<Napi::Function>().Get("name").ToString().Utf8Value();
    return "an object";
  }
  return value.ToString().Utf8Value();
}

void throwTypeError(Napi::Env env, const std::string& name, const std::string& expected, const Napi::Value& value) {
  throw Napi::TypeError::New(env, name + ": expected " + expected + ", got " + describeValue(value));
}

OptionReader::OptionReader(const Napi::Value& value, std::string path)
    : env_(value.Env()), empty_(value.IsUndefined()), path_(std::move(path)) {
  if (empty_) return;
  if (!value.IsObject() || value.IsArray() || value.IsFunction() || value.IsTypedArray()) {
    throwTypeError(env_, path_, "an options object", value);
  }
  object_ = value.As<Napi::Object>();
}

bool OptionReader::has(const char* key) {
  asked_.emplace_back(key);
  return !empty_ && object_.Has(key) && !object_.Get(key).IsUndefined();
}

Napi::Value OptionReader::take(const char* key) {
  return has(key) ? object_.Get(key) : env_.Undefined();
}

void OptionReader::read(const char* key, bool& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (!value.IsBoolean()) throwTypeError(env_, path(key), "a boolean", value);
  field = value.As<Napi::Boolean>().Value();
}

void OptionReader::read(const char* key, double& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (!value.IsNumber() || std::isnan(value.As<Napi::Number>().DoubleValue())) {
    throwTypeError(env_, path(key), "a number", value);
  }
  field = value.As<Napi::Number>().DoubleValue();
}

void OptionReader::read(const char* key, int64_t& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (!value.IsNumber()) throwTypeError(env_, path(key), "a number", value);
  const double number = value.As<Napi::Number>().DoubleValue();
  if (number != std::floor(number) || std::fabs(number) > kMaxSafeInteger) {
    throwTypeError(env_, path(key), "an integer", value);
  }
  field = static_cast<int64_t>(number);
}

void OptionReader::read(const char* key, uint64_t& field) {
  int64_t value = static_cast<int64_t>(field);
  read(key, value);
  range::integer(path(key), value, 0, static_cast<int64_t>(kMaxSafeInteger));
  field = static_cast<uint64_t>(value);
}

void OptionReader::read(const char* key, std::string& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (!value.IsString()) throwTypeError(env_, path(key), "a string", value);
  field = value.As<Napi::String>().Utf8Value();
}

void OptionReader::read(const char* key, std::vector<double>& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (value.IsNumber()) {
    field = {value.As<Napi::Number>().DoubleValue()};
    return;
  }
  if (!value.IsArray()) throwTypeError(env_, path(key), "a number or an array of numbers", value);
  const auto array = value.As<Napi::Array>();
  field.clear();
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const auto item = array.Get(i);
    if (!item.IsNumber()) throwTypeError(env_, path(key) + "[" + std::to_string(i) + "]", "a number", item);
    field.push_back(item.As<Napi::Number>().DoubleValue());
  }
}

void OptionReader::read(const char* key, std::vector<int64_t>& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  const auto integer = [&](const Napi::Value& item, const std::string& name) {
    const double number = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : 0.5;
    if (number != std::floor(number) || std::fabs(number) > kMaxSafeInteger)
      throwTypeError(env_, name, "an integer", item);
    return static_cast<int64_t>(number);
  };
  if (value.IsNumber()) {
    field = {integer(value, path(key))};
    return;
  }
  if (!value.IsArray()) throwTypeError(env_, path(key), "an integer or an array of integers", value);
  const auto array = value.As<Napi::Array>();
  field.clear();
  for (uint32_t i = 0; i < array.Length(); ++i)
    field.push_back(integer(array.Get(i), path(key) + "[" + std::to_string(i) + "]"));
}

void OptionReader::read(const char* key, std::vector<std::vector<double>>& field) {
  if (!has(key)) return;
  const auto value = object_.Get(key);
  if (!value.IsArray()) throwTypeError(env_, path(key), "an array of arrays of numbers", value);
  const auto array = value.As<Napi::Array>();
  field.clear();
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const auto item = array.Get(i);
    const std::string itemPath = path(key) + "[" + std::to_string(i) + "]";
    if (!item.IsArray()) throwTypeError(env_, itemPath, "an array of numbers", item);
    const auto numbers = item.As<Napi::Array>();
    std::vector<double> row;
    for (uint32_t j = 0; j < numbers.Length(); ++j) {
      const auto number = numbers.Get(j);
      if (!number.IsNumber()) throwTypeError(env_, itemPath + "[" + std::to_string(j) + "]", "a number", number);
      row.push_back(number.As<Napi::Number>().DoubleValue());
    }
    field.push_back(std::move(row));
  }
}

void OptionReader::read(const char* key, std::optional<double>& field) {
  if (!has(key)) return;
  double value = 0;
  read(key, value);
  field = value;
}

void OptionReader::read(const char* key, std::optional<int64_t>& field) {
  if (!has(key)) return;
  int64_t value = 0;
  read(key, value);
  field = value;
}

void OptionReader::finish() const {
  if (empty_) return;
  const auto keys = object_.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    if (std::find(asked_.begin(), asked_.end(), key) != asked_.end()) continue;
    std::vector<std::string> names;
    for (const auto& name : asked_) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    std::string known;
    for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
    throw Napi::TypeError::New(env_, path_ + "." + key + ": unknown option; expected one of " + known);
  }
}

}  // namespace unet::js
