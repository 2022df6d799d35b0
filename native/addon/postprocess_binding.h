// lib/ops/postprocess.ts -> native: postprocess(kind, mask, options): Promise<Tensor>, kind one of
// 'keepLargestComponent' | 'fillHoles' | 'removeSmallObjects' | 'apply'.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value Postprocess(const Napi::CallbackInfo& info);

}  // namespace unet::js
