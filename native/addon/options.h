// The user's option objects, as lib/ hands them down unchanged -> the option structs of the core. Each converter
// reads with an OptionReader (a wrong type or an unknown key is a TypeError naming the option), leaves what the
// user left out at the core's default, and has the core check the ranges. One file each, named after the
// options it reads: unet_options.cc, fit_options.cc, augment_options.cc, predict_options.cc, loss_options.cc,
// metric_options.cc, postprocess_options.cc, precision_options.cc, distributed_options.cc; defaults.cc shows every
// default.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "addon/option_reader.h"
#include "core/distributed/process_group.h"
#include "core/inference/predict.h"
#include "core/losses/loss_spec.h"
#include "core/metrics/metrics.h"
#include "core/metrics/surface.h"
#include "core/model/unet.h"
#include "core/postprocess/postprocess.h"
#include "core/runtime/precision.h"
#include "core/training/augment.h"
#include "core/training/evaluate.h"
#include "core/training/fit.h"
#include "core/training/step.h"

namespace unet::js {

UNetOptions unetOptionsFromJs(const Napi::Value& value);
Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& options);

// fit's options less what stays in JS; trainStep's (the optimiser's fields, loss, gradClip); evaluate's.
FitOptions fitOptionsFromJs(const Napi::Value& value);
TrainStepOptions trainStepOptionsFromJs(const Napi::Value& value);
EvaluateOptions evaluateOptionsFromJs(const Napi::Value& value);

// undefined | false: no augmentation; true: AugmentOptions::defaults(); an object: those transforms.
AugmentOptions augmentOptionsFromJs(const Napi::Value& value, const std::string& path);

PredictOptions predictOptionsFromJs(const Napi::Value& value);

// options.precision ('fp32' | 'bf16' | 'fp16' | 'auto'), left as it is when absent; forward's { precision }.
void readPrecision(OptionReader& reader, Precision& precision);
Precision forwardOptionsFromJs(const Napi::Value& value);

// A loss by kind with its options (losses.*), and a loss spec { name, ...options } or undefined (training).
LossSpec lossSpecFromJs(const std::string& kind, const Napi::Value& options, const std::string& kindName,
                        const std::string& path);
std::optional<LossSpec> lossFromJs(const Napi::Value& value, const std::string& path);

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Value& value);
HausdorffOptions hausdorffOptionsFromJs(const Napi::Value& value);
SurfaceDistanceOptions surfaceDistanceOptionsFromJs(const Napi::Value& value);
SurfaceDiceOptions surfaceDiceOptionsFromJs(const Napi::Value& value);

// postprocess.keepLargestComponent's, fillHoles' and removeSmallObjects' options (undefined: the defaults), and
// postprocess.apply's and predict's postprocess: each transform false | undefined (not applied), true (the
// defaults) or its options.
KeepLargestComponentOptions keepLargestComponentOptionsFromJs(const Napi::Value& value, const std::string& path);
FillHolesOptions fillHolesOptionsFromJs(const Napi::Value& value, const std::string& path);
RemoveSmallObjectsOptions removeSmallObjectsOptionsFromJs(const Napi::Value& value, const std::string& path);
PostprocessOptions postprocessOptionsFromJs(const Napi::Value& value, const std::string& path);

// initProcessGroup's options: rank, worldSize, masterAddr, masterPort, backend, timeout (seconds), interface,
// agentStore, restartCount (lib/ reads torchrun's environment into them).
ProcessGroupOptions processGroupOptionsFromJs(const Napi::Value& value);

// checkFitOptions(options): { epochs, batchSize } as fit would use them; for the loop over batches that JS drives
// (lib/training/fit.ts fitBatches), which needs fit's checks but not the native loop.
Napi::Value CheckFitOptions(const Napi::CallbackInfo& info);

// defaults(): every option's default as the core has it, for lib/ to show (defaultAugment, defaultLoss) and for
// the test that compares them with the documentation.
Napi::Value Defaults(const Napi::CallbackInfo& info);

}  // namespace unet::js
