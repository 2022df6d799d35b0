// lib/backend.ts -> native: backendInfo() and setThreads(n), both synchronous (they only read or set a number).
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value BackendInfo(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);

}  // namespace unet::js
