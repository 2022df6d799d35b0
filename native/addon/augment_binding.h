// lib/training/augment.ts -> native: augment(images, masks, options, seed): Promise<{ images, masks }>, the transforms
// fit applies, for previewing them.
#pragma once

#include <napi.h>

namespace unet::js {

Napi::Value Augment(const Napi::CallbackInfo& info);

}  // namespace unet::js
