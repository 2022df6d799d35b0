// JS option objects -> the option structs of the libtorch code. The TypeScript layer has already
// validated and filled defaults; this layer still refuses wrong types so a direct native call cannot crash.
#pragma once

#include <napi.h>

#include "core/inference/predict.h"
#include "core/losses/loss_spec.h"
#include "core/metrics/metrics.h"
#include "core/model/unet.h"
#include "core/training/augment.h"
#include "core/training/fit.h"
#include "core/training/optimizer.h"

namespace unet::js {

UNetOptions unetOptionsFromJs(const Napi::Object& object);
Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& options);

// kind: "dice" | "diceCe" | "bce" | "crossEntropy" | "focal" | "tversky"
LossSpec lossSpecFromJs(const std::string& kind, const Napi::Object& object);

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Object& object);

// The fit and trainStep options as lib/training.ts normalises them: flat optimiser fields, `schedule`,
// `loss` ({ name, ...options }), `augment` (an object of AugmentOptions fields) and `checkpoint`.
OptimizerOptions optimizerOptionsFromJs(const Napi::Object& object);
AugmentOptions augmentOptionsFromJs(const Napi::Object& object);
FitOptions fitOptionsFromJs(const Napi::Object& object);
LossSpec lossFromJs(const Napi::Value& value);

// predict's options as lib/inference.ts normalises them: output, threshold, tileSize, tileOverlap, blend,
// sigmaScale, ttaFlips, maxPixels.
PredictOptions predictOptionsFromJs(const Napi::Object& object);

}  // namespace unet::js
