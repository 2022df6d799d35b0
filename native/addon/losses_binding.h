// lib/ops/losses.ts -> native: computeLoss(kind, input, target, options): Promise<number | Tensor>.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value ComputeLoss(const Napi::CallbackInfo& info);

}  // namespace unet::js
