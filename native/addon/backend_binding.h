// lib/runtime/backend.ts -> native: backendInfo() and setThreads(n), both synchronous: they read what the compute
// thread published, or hand it a thread count.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value BackendInfo(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);

}  // namespace unet::js
