// The user's option objects, as lib/ hands them down unchanged -> the option structs of the core. An option left
// out keeps the core's default (the core owns every default); a wrong type is a TypeError naming the option.
#pragma once

#include <napi.h>

#include <optional>

#include "core/inference/predict.h"
#include "core/losses/loss_spec.h"
#include "core/metrics/metrics.h"
#include "core/model/unet.h"
#include "core/training/augment.h"
#include "core/training/evaluate.h"
#include "core/training/fit.h"
#include "core/training/optimizer.h"
#include "core/training/step.h"

namespace unet::js {

UNetOptions unetOptionsFromJs(const Napi::Object& object);
Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& options);

// kind: "dice" | "diceCe" | "bce" | "crossEntropy" | "focal" | "tversky"
LossSpec lossSpecFromJs(const std::string& kind, const Napi::Object& object);

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Object& object);

// lib/training: fit's and trainStep's options (the optimiser's fields flat, `schedule` a name or an object,
// `loss` { name, ...options } or undefined, `augment` a boolean or an object, `checkpoint` { path, monitor }).
OptimizerOptions optimizerOptionsFromJs(const Napi::Object& object);
AugmentOptions augmentOptionsFromJs(const Napi::Value& value);  // undefined | false: none; true: the defaults
FitOptions fitOptionsFromJs(const Napi::Object& object);
TrainStepOptions trainStepOptionsFromJs(const Napi::Object& object);
EvaluateOptions evaluateOptionsFromJs(const Napi::Object& object);
std::optional<LossSpec> lossFromJs(const Napi::Value& value);  // undefined: the model's default loss

// lib/inference: predict's options (output, threshold, tile { size, overlap, blend, sigmaScale }, tta, maxPixels).
PredictOptions predictOptionsFromJs(const Napi::Object& object);

// defaults(): every option's default as the core has it, for lib/ to show (defaultAugment, defaultLoss) and for
// the test that compares them with the documentation.
Napi::Value Defaults(const Napi::CallbackInfo& info);

}  // namespace unet::js
