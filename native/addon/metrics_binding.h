// lib/ops/metrics.ts -> native: computeMetric(kind, pred, target, options): Promise<number | Tensor>.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value ComputeMetric(const Napi::CallbackInfo& info);

}  // namespace unet::js
