#include "addon/option_fields.h"
#include "core/runtime/backend.h"

namespace unet::js {

namespace {

template <typename Options>
Napi::Object toJs(Napi::Env env, const Options& options, const Fields<Options>& fields) {
  auto object = Napi::Object::New(env);
  fieldsToJs(object, options, fields);
  return object;
}

// A loss's options with its reduction (every loss but diceCe, whose reduction is its Dice term's).
template <typename Options>
Napi::Object lossToJs(Napi::Env env, const Options& options, const Fields<Options>& fields) {
  auto object = toJs(env, options, fields);
  object.Set("reduction", reductionName(options.reduction));
  return object;
}

Napi::Object diceCeToJs(Napi::Env env, const DiceCeOptions& loss) {
  auto object = lossToJs(env, loss.dice, kDiceFields);
  fieldsToJs(object, loss, kDiceCeFields);
  object.Set("name", "diceCe");
  return object;
}

}  // namespace

Napi::Value Defaults(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto result = Napi::Object::New(env);
  auto unet = unetOptionsToJs(env, UNetOptions());
  unet.Set("device", kDefaultDevice);
  result.Set("unet", unet);

  result.Set("optimizer", OptimizerOptions().name);
  auto optimizers = Napi::Object::New(env);
  for (const char* name : {"adam", "adamw", "sgd"}) {
    optimizers.Set(name, toJs(env, OptimizerOptions::defaultsFor(name), kOptimizerFields));
  }
  result.Set("optimizers", optimizers);

  const FitOptions fit;
  auto fitDefaults = toJs(env, fit, kFitFields);
  fitDefaults.Set("schedule", fit.schedule.name);
  fitDefaults.Set("checkpointMonitor", fit.checkpointMonitor);
  fitDefaults.Set("precision", precisionName(fit.precision));
  result.Set("fit", fitDefaults);
  result.Set("schedule", toJs(env, fit.schedule, kScheduleFields));
  auto trainStep = toJs<TrainStepOptions>(env, {}, {{"gradClip", &TrainStepOptions::gradClip}});
  trainStep.Set("precision", precisionName(TrainStepOptions().precision));
  result.Set("trainStep", trainStep);
  auto evaluate = toJs<EvaluateOptions>(env, {}, {{"batchSize", &EvaluateOptions::batchSize}});
  evaluate.Set("precision", precisionName(EvaluateOptions().precision));
  result.Set("evaluate", evaluate);
  auto forward = Napi::Object::New(env);
  forward.Set("precision", precisionName(kDefaultPrecision));
  result.Set("forward", forward);
  result.Set("defaultLoss", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
               const double classes = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1;
               return diceCeToJs(info.Env(), defaultLoss(static_cast<int64_t>(classes)));
             }));

  const PredictOptions predict;
  auto predictDefaults = toJs(env, predict, kPredictFields);
  fieldsToJs(predictDefaults, predict, kTileFields);
  predictDefaults.Delete("size");  // a tile's size has no default: it is required
  predictDefaults.Set("output", predictOutputName(predict.output));
  predictDefaults.Set("blend", tileBlendName(predict.blend));
  predictDefaults.Set("precision", precisionName(predict.precision));
  result.Set("predict", predictDefaults);

  result.Set("augment", toJs(env, AugmentOptions(), kAugmentFields));
  result.Set("augmentTrue", toJs(env, AugmentOptions::defaults(), kAugmentFields));

  auto losses = Napi::Object::New(env);
  losses.Set("dice", lossToJs(env, DiceOptions(), kDiceFields));
  losses.Set("diceCe", diceCeToJs(env, DiceCeOptions()));
  losses.Set("bce", lossToJs(env, BceOptions(), kBceFields));
  losses.Set("crossEntropy", lossToJs(env, CrossEntropyOptions(), kCrossEntropyFields));
  losses.Set("focal", lossToJs(env, FocalOptions(), kFocalFields));
  losses.Set("tversky", lossToJs(env, TverskyOptions(), kTverskyFields));
  result.Set("losses", losses);

  const OverlapMetricOptions overlap;
  auto metrics = toJs(env, overlap, kOverlapMetricFields);
  metrics.Set("reduction", metricReductionName(overlap.reduction));
  metrics.Set("threshold", BinarizeOptions().threshold);
  metrics.Set("oneHot", ArgmaxOptions().oneHot);
  result.Set("metrics", metrics);

  // the boundary metrics share SurfaceMetricOptions; each adds one switch
  const HausdorffOptions hausdorff;
  auto surface = Napi::Object::New(env);
  surface.Set("includeBackground", hausdorff.surface.includeBackground);
  surface.Set("distanceMetric", distanceMetricName(hausdorff.surface.distanceMetric));
  surface.Set("reduction", metricReductionName(hausdorff.surface.reduction));
  surface.Set("directed", hausdorff.directed);
  surface.Set("symmetric", SurfaceDistanceOptions().symmetric);
  result.Set("surfaceMetrics", surface);

  // connectivity's default depends on the mask's dimensions: one for 2D masks, one for 3D
  const auto withConnectivity = [&](Napi::Object object, int64_t (*defaultConnectivity)(int64_t)) {
    object.Set("connectivity2d", static_cast<double>(defaultConnectivity(2)));
    object.Set("connectivity3d", static_cast<double>(defaultConnectivity(3)));
    return object;
  };
  auto postprocess = Napi::Object::New(env);
  postprocess.Set("keepLargestComponent",
                  withConnectivity(toJs(env, KeepLargestComponentOptions(), kKeepLargestComponentFields),
                                   KeepLargestComponentOptions::defaultConnectivity));
  postprocess.Set("fillHoles", withConnectivity(Napi::Object::New(env), FillHolesOptions::defaultConnectivity));
  postprocess.Set("removeSmallObjects",
                  withConnectivity(toJs(env, RemoveSmallObjectsOptions(), kRemoveSmallObjectsFields),
                                   RemoveSmallObjectsOptions::defaultConnectivity));
  result.Set("postprocess", postprocess);
  return result;
}

}  // namespace unet::js
