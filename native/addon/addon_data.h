// Per-environment state of the addon (one a Node environment: main thread or worker_threads).
#pragma once

#include <napi.h>

namespace unet::js {

struct AddonData {
  Napi::FunctionReference modelConstructor;

  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace unet::js
