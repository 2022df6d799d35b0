// lib/inference/ensemble.ts -> native: combinePredictions(probabilities[], options): Promise<Tensor>.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value CombinePredictions(const Napi::CallbackInfo& info);

}  // namespace unet::js
