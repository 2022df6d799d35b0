// Single JS values read or made by the addon's functions (option objects go through OptionReader).
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace unet::js {

// 2^53 - 1: the largest integer a JS number holds exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

// A seed: undefined gives none; else an integer from 0 to 2^53 - 1 (a RangeError naming `name` otherwise).
std::optional<uint64_t> optionalSeed(const Napi::Value& value, const char* name);

// NaN (an undefined score) becomes null.
Napi::Value numberOrNull(Napi::Env env, double value);

Napi::Object requireObject(const Napi::Value& value, const char* name);
std::string requireString(const Napi::Value& value, const char* name);

}  // namespace unet::js
