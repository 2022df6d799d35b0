#include "addon/options.h"
#include "core/runtime/backend.h"

namespace unet::js {

namespace {

Napi::Object diceToJs(Napi::Env env, const DiceOptions& d, Napi::Object o) {
  o.Set("includeBackground", d.includeBackground);
  o.Set("toOnehotY", d.toOnehotY);
  o.Set("sigmoid", d.sigmoid);
  o.Set("softmax", d.softmax);
  o.Set("squaredPred", d.squaredPred);
  o.Set("jaccard", d.jaccard);
  o.Set("reduction", reductionName(d.reduction));
  o.Set("smoothNr", d.smoothNr);
  o.Set("smoothDr", d.smoothDr);
  o.Set("batch", d.batch);
  return o;
}

Napi::Object diceCeToJs(Napi::Env env, const DiceCeOptions& d) {
  auto o = Napi::Object::New(env);
  o.Set("name", "diceCe");
  diceToJs(env, d.dice, o);
  o.Set("lambdaDice", d.lambdaDice);
  o.Set("lambdaCe", d.lambdaCe);
  o.Set("labelSmoothing", d.labelSmoothing);
  return o;
}

Napi::Object optimizerToJs(Napi::Env env, const OptimizerOptions& p) {
  auto o = Napi::Object::New(env);
  o.Set("lr", p.lr);
  o.Set("weightDecay", p.weightDecay);
  o.Set("momentum", p.momentum);
  o.Set("nesterov", p.nesterov);
  return o;
}

Napi::Object augmentToJs(Napi::Env env, AugmentOptions a) {
  auto o = Napi::Object::New(env);
  for (const auto& [key, field] : augmentFields(a)) o.Set(key, *field);
  o.Set("elasticGridPoints", static_cast<double>(a.elasticGridPoints));
  return o;
}

}  // namespace

Napi::Value Defaults(const Napi::CallbackInfo& info) {
  const auto env = info.Env();
  auto result = Napi::Object::New(env);
  auto unetDefaults = unetOptionsToJs(env, UNetOptions());
  unetDefaults.Set("device", kDefaultDevice);
  result.Set("unet", unetDefaults);

  const OptimizerOptions optimizer;
  auto optimizers = Napi::Object::New(env);
  for (const char* name : {"adam", "adamw", "sgd"})
    optimizers.Set(name, optimizerToJs(env, OptimizerOptions::defaultsFor(name)));
  result.Set("optimizer", optimizer.name);
  result.Set("optimizers", optimizers);

  const FitOptions fit;
  auto fitDefaults = Napi::Object::New(env);
  fitDefaults.Set("epochs", static_cast<double>(fit.epochs));
  fitDefaults.Set("batchSize", static_cast<double>(fit.batchSize));
  fitDefaults.Set("schedule", fit.schedule.name);
  fitDefaults.Set("gradClip", fit.gradClip);
  fitDefaults.Set("shuffle", fit.shuffle);
  fitDefaults.Set("seed", static_cast<double>(fit.seed));
  fitDefaults.Set("mixedPrecision", fit.mixedPrecision);
  fitDefaults.Set("checkpointMonitor", fit.checkpointMonitor);
  result.Set("fit", fitDefaults);
  auto schedule = Napi::Object::New(env);
  schedule.Set("factor", fit.schedule.factor);
  schedule.Set("patience", static_cast<double>(fit.schedule.patience));
  schedule.Set("minLr", fit.schedule.minLr);
  result.Set("schedule", schedule);
  result.Set("trainStep", Napi::Object::New(env));
  result.Get("trainStep").As<Napi::Object>().Set("gradClip", TrainStepOptions().gradClip);
  auto evaluate = Napi::Object::New(env);
  evaluate.Set("batchSize", static_cast<double>(EvaluateOptions().batchSize));
  result.Set("evaluate", evaluate);
  result.Set("defaultLoss", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
               const double classes = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1;
               return diceCeToJs(info.Env(), defaultLoss(static_cast<int64_t>(classes)));
             }));

  const PredictOptions predict;
  auto predictDefaults = Napi::Object::New(env);
  predictDefaults.Set("output", predictOutputName(predict.output));
  predictDefaults.Set("threshold", predict.threshold);
  predictDefaults.Set("overlap", predict.tileOverlap);
  predictDefaults.Set("blend", tileBlendName(predict.blend));
  predictDefaults.Set("sigmaScale", predict.sigmaScale);
  result.Set("predict", predictDefaults);

  result.Set("augment", augmentToJs(env, AugmentOptions()));
  result.Set("augmentTrue", augmentToJs(env, AugmentOptions::defaults()));

  auto losses = Napi::Object::New(env);
  losses.Set("dice", diceToJs(env, DiceOptions(), Napi::Object::New(env)));
  losses.Set("diceCe", diceCeToJs(env, DiceCeOptions()));
  auto bce = Napi::Object::New(env);
  bce.Set("reduction", reductionName(BceOptions().reduction));
  losses.Set("bce", bce);
  const CrossEntropyOptions crossEntropy;
  auto ce = Napi::Object::New(env);
  ce.Set("ignoreIndex", static_cast<double>(crossEntropy.ignoreIndex));
  ce.Set("labelSmoothing", crossEntropy.labelSmoothing);
  ce.Set("reduction", reductionName(crossEntropy.reduction));
  losses.Set("crossEntropy", ce);
  const FocalOptions focal;
  auto f = Napi::Object::New(env);
  f.Set("includeBackground", focal.includeBackground);
  f.Set("toOnehotY", focal.toOnehotY);
  f.Set("gamma", focal.gamma);
  f.Set("useSoftmax", focal.useSoftmax);
  f.Set("reduction", reductionName(focal.reduction));
  losses.Set("focal", f);
  const TverskyOptions tversky;
  auto t = Napi::Object::New(env);
  t.Set("includeBackground", tversky.includeBackground);
  t.Set("toOnehotY", tversky.toOnehotY);
  t.Set("sigmoid", tversky.sigmoid);
  t.Set("softmax", tversky.softmax);
  t.Set("alpha", tversky.alpha);
  t.Set("beta", tversky.beta);
  t.Set("reduction", reductionName(tversky.reduction));
  t.Set("smoothNr", tversky.smoothNr);
  t.Set("smoothDr", tversky.smoothDr);
  t.Set("batch", tversky.batch);
  losses.Set("tversky", t);
  result.Set("losses", losses);

  const OverlapMetricOptions overlap;
  auto metrics = Napi::Object::New(env);
  metrics.Set("includeBackground", overlap.includeBackground);
  metrics.Set("ignoreEmpty", overlap.ignoreEmpty);
  metrics.Set("reduction", metricReductionName(overlap.reduction));
  metrics.Set("threshold", BinarizeOptions().threshold);
  metrics.Set("oneHot", ArgmaxOptions().oneHot);
  result.Set("metrics", metrics);
  return result;
}

}  // namespace unet::js
