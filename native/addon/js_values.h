// Reads typed option values from JS objects; a wrong type is a TypeError naming the option.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

namespace unet::js {

// 2^53 - 1: the largest integer a JS number holds exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

bool getBool(const Napi::Object& object, const char* key, bool fallback);
double getNumber(const Napi::Object& object, const char* key, double fallback);
int64_t getInteger(const Napi::Object& object, const char* key, int64_t fallback);
std::string getString(const Napi::Object& object, const char* key, const std::string& fallback);
// A number or an array of numbers; absent or undefined gives an empty list.
std::vector<double> getNumberList(const Napi::Object& object, const char* key);
bool has(const Napi::Object& object, const char* key);

// A seed: undefined gives none; else an integer from 0 to 2^53 - 1.
std::optional<uint64_t> optionalSeed(const Napi::Value& value, const char* name);

// NaN (an undefined score) becomes null.
Napi::Value numberOrNull(Napi::Env env, double value);

Napi::Object requireObject(const Napi::Value& value, const char* name);
std::string requireString(const Napi::Value& value, const char* name);

}  // namespace unet::js
