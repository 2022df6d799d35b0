// Per-environment state of the addon (one per Node environment: the main thread or a worker thread).
#pragma once

#include <napi.h>

#include <memory>

#include "addon/js_thread.h"

namespace unet::js {

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference processGroupConstructor;
  std::shared_ptr<JsThread> jsThread;

  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace unet::js
