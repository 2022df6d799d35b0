// lib/runtime/backend.ts -> native: backendInfo(), setThreads(n) and setComputeNice(n), all synchronous: they
// read what the compute thread published, hand it a thread count, or set its threads' nice value.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value BackendInfo(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value SetComputeNice(const Napi::CallbackInfo& info);

}  // namespace unet::js
