#include "addon/options_bridge.h"

#include "addon/js_values.h"
#include "core/runtime/backend.h"

namespace unet::js {

namespace {

Reduction reductionFromJs(const Napi::Object& o, Reduction fallback) {
  return has(o, "reduction") ? parseReduction(getString(o, "reduction", "")) : fallback;
}

DiceOptions diceOptionsFromJs(const Napi::Object& o) {
  DiceOptions d;
  d.includeBackground = getBool(o, "includeBackground", d.includeBackground);
  d.toOnehotY = getBool(o, "toOnehotY", d.toOnehotY);
  d.sigmoid = getBool(o, "sigmoid", d.sigmoid);
  d.softmax = getBool(o, "softmax", d.softmax);
  d.squaredPred = getBool(o, "squaredPred", d.squaredPred);
  d.jaccard = getBool(o, "jaccard", d.jaccard);
  d.reduction = reductionFromJs(o, d.reduction);
  d.smoothNr = getNumber(o, "smoothNr", d.smoothNr);
  d.smoothDr = getNumber(o, "smoothDr", d.smoothDr);
  d.batch = getBool(o, "batch", d.batch);
  d.weight = getNumberList(o, "weight");
  return d;
}

}  // namespace

namespace {

std::vector<std::pair<const char*, double*>> augmentFields(AugmentOptions& a) {
  return {
      {"horizontalFlip", &a.horizontalFlip},
      {"verticalFlip", &a.verticalFlip},
      {"rotate90", &a.rotate90},
      {"affine", &a.affine},
      {"rotationDegrees", &a.rotationDegrees},
      {"scaleMin", &a.scaleMin},
      {"scaleMax", &a.scaleMax},
      {"translateFraction", &a.translateFraction},
      {"elastic", &a.elastic},
      {"elasticSigmaPixels", &a.elasticSigmaPixels},
      {"brightness", &a.brightness},
      {"brightnessRange", &a.brightnessRange},
      {"contrast", &a.contrast},
      {"contrastMin", &a.contrastMin},
      {"contrastMax", &a.contrastMax},
      {"gamma", &a.gamma},
      {"gammaMin", &a.gammaMin},
      {"gammaMax", &a.gammaMax},
      {"noise", &a.noise},
      {"noiseStd", &a.noiseStd},
  };
}

}  // namespace

UNetOptions unetOptionsFromJs(const Napi::Object& o) {
  UNetOptions u;
  u.inChannels = getInteger(o, "inChannels", u.inChannels);
  u.classes = getInteger(o, "classes", u.classes);
  u.depth = getInteger(o, "depth", u.depth);
  u.baseFilters = getInteger(o, "baseFilters", u.baseFilters);
  u.growth = getNumber(o, "growth", u.growth);
  u.norm = parseNorm(getString(o, "norm", normName(u.norm)));
  u.activation = parseActivation(getString(o, "activation", activationName(u.activation)));
  u.upsampling = parseUpsampling(getString(o, "upsampling", upsamplingName(u.upsampling)));
  u.dropout = getNumber(o, "dropout", u.dropout);
  u.validate();
  return u;
}

Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& u) {
  auto o = Napi::Object::New(env);
  o.Set("inChannels", Napi::Number::New(env, static_cast<double>(u.inChannels)));
  o.Set("classes", Napi::Number::New(env, static_cast<double>(u.classes)));
  o.Set("depth", Napi::Number::New(env, static_cast<double>(u.depth)));
  o.Set("baseFilters", Napi::Number::New(env, static_cast<double>(u.baseFilters)));
  o.Set("growth", Napi::Number::New(env, u.growth));
  o.Set("norm", Napi::String::New(env, normName(u.norm)));
  o.Set("activation", Napi::String::New(env, activationName(u.activation)));
  o.Set("upsampling", Napi::String::New(env, upsamplingName(u.upsampling)));
  o.Set("dropout", Napi::Number::New(env, u.dropout));
  return o;
}

LossSpec lossSpecFromJs(const std::string& kind, const Napi::Object& o) {
  if (kind == "dice") return diceOptionsFromJs(o);
  if (kind == "diceCe") {
    DiceCeOptions d;
    d.dice = diceOptionsFromJs(o);
    d.lambdaDice = getNumber(o, "lambdaDice", d.lambdaDice);
    d.lambdaCe = getNumber(o, "lambdaCe", d.lambdaCe);
    d.ceWeight = getNumberList(o, "ceWeight");
    d.labelSmoothing = getNumber(o, "labelSmoothing", d.labelSmoothing);
    return d;
  }
  if (kind == "bce") {
    BceOptions b;
    b.posWeight = getNumberList(o, "posWeight");
    b.reduction = reductionFromJs(o, b.reduction);
    return b;
  }
  if (kind == "crossEntropy") {
    CrossEntropyOptions c;
    c.weight = getNumberList(o, "weight");
    c.ignoreIndex = getInteger(o, "ignoreIndex", c.ignoreIndex);
    c.labelSmoothing = getNumber(o, "labelSmoothing", c.labelSmoothing);
    c.reduction = reductionFromJs(o, c.reduction);
    return c;
  }
  if (kind == "focal") {
    FocalOptions f;
    f.includeBackground = getBool(o, "includeBackground", f.includeBackground);
    f.toOnehotY = getBool(o, "toOnehotY", f.toOnehotY);
    f.gamma = getNumber(o, "gamma", f.gamma);
    if (has(o, "alpha")) f.alpha = getNumber(o, "alpha", 0.0);
    f.weight = getNumberList(o, "weight");
    f.useSoftmax = getBool(o, "useSoftmax", f.useSoftmax);
    f.reduction = reductionFromJs(o, f.reduction);
    return f;
  }
  if (kind == "tversky") {
    TverskyOptions t;
    t.includeBackground = getBool(o, "includeBackground", t.includeBackground);
    t.toOnehotY = getBool(o, "toOnehotY", t.toOnehotY);
    t.sigmoid = getBool(o, "sigmoid", t.sigmoid);
    t.softmax = getBool(o, "softmax", t.softmax);
    t.alpha = getNumber(o, "alpha", t.alpha);
    t.beta = getNumber(o, "beta", t.beta);
    t.reduction = reductionFromJs(o, t.reduction);
    t.smoothNr = getNumber(o, "smoothNr", t.smoothNr);
    t.smoothDr = getNumber(o, "smoothDr", t.smoothDr);
    t.batch = getBool(o, "batch", t.batch);
    return t;
  }
  throw std::invalid_argument("loss: expected 'dice', 'diceCe', 'bce', 'crossEntropy', 'focal' or 'tversky', got '" +
                              kind + "'");
}

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Object& o) {
  OverlapMetricOptions m;
  m.includeBackground = getBool(o, "includeBackground", m.includeBackground);
  m.ignoreEmpty = getBool(o, "ignoreEmpty", m.ignoreEmpty);
  m.reduction = parseMetricReduction(getString(o, "reduction", metricReductionName(m.reduction)));
  return m;
}

OptimizerOptions optimizerOptionsFromJs(const Napi::Object& o) {
  auto optimizer = OptimizerOptions::defaultsFor(getString(o, "optimizer", OptimizerOptions().name));
  optimizer.lr = getNumber(o, "lr", optimizer.lr);
  optimizer.weightDecay = getNumber(o, "weightDecay", optimizer.weightDecay);
  optimizer.momentum = getNumber(o, "momentum", optimizer.momentum);
  optimizer.nesterov = getBool(o, "nesterov", optimizer.nesterov);
  optimizer.validate();
  return optimizer;
}

AugmentOptions augmentOptionsFromJs(const Napi::Value& value) {
  if (value.IsUndefined() || (value.IsBoolean() && !value.As<Napi::Boolean>().Value())) return {};
  if (value.IsBoolean()) return AugmentOptions::defaults();
  const auto o = requireObject(value, "augment");
  AugmentOptions a;
  for (const auto& [key, field] : augmentFields(a)) *field = getNumber(o, key, *field);
  a.elasticGridPoints = getInteger(o, "elasticGridPoints", a.elasticGridPoints);
  a.validate();
  return a;
}

std::optional<LossSpec> lossFromJs(const Napi::Value& value) {
  if (value.IsUndefined()) return std::nullopt;
  const auto loss = requireObject(value, "loss");
  const std::string name = getString(loss, "name", "");
  auto options = Napi::Object::New(value.Env());
  const auto keys = loss.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const auto key = keys.Get(i).ToString().Utf8Value();
    if (key != "name") options.Set(key, loss.Get(key));
  }
  return lossSpecFromJs(name, options);
}

FitOptions fitOptionsFromJs(const Napi::Object& o) {
  FitOptions f;
  f.epochs = getInteger(o, "epochs", f.epochs);
  f.batchSize = getInteger(o, "batchSize", f.batchSize);
  f.optimizer = optimizerOptionsFromJs(o);
  const auto schedule = o.Get("schedule");
  if (schedule.IsString()) {
    f.schedule.name = schedule.As<Napi::String>().Utf8Value();
  } else if (!schedule.IsUndefined()) {
    const auto s = requireObject(schedule, "schedule");
    f.schedule.name = getString(s, "name", f.schedule.name);
    f.schedule.factor = getNumber(s, "factor", f.schedule.factor);
    f.schedule.patience = getInteger(s, "patience", f.schedule.patience);
    f.schedule.minLr = getNumber(s, "minLr", f.schedule.minLr);
  }
  f.schedule.validate();
  f.loss = lossFromJs(o.Get("loss"));
  f.gradClip = getNumber(o, "gradClip", f.gradClip);
  const auto earlyStopping = o.Get("earlyStopping");
  if (earlyStopping.IsObject()) f.earlyStoppingPatience = getInteger(earlyStopping.As<Napi::Object>(), "patience", 0);
  f.shuffle = getBool(o, "shuffle", f.shuffle);
  f.seed = static_cast<uint64_t>(getInteger(o, "seed", static_cast<int64_t>(f.seed)));
  f.augment = augmentOptionsFromJs(o.Get("augment"));
  if (has(o, "checkpoint")) {
    const auto checkpoint = requireObject(o.Get("checkpoint"), "checkpoint");
    f.checkpointPath = getString(checkpoint, "path", f.checkpointPath);
    f.checkpointMonitor = getString(checkpoint, "monitor", f.checkpointMonitor);
  }
  f.resumeFrom = getString(o, "resumeFrom", f.resumeFrom);
  f.mixedPrecision = getBool(o, "mixedPrecision", f.mixedPrecision);
  return f;
}

TrainStepOptions trainStepOptionsFromJs(const Napi::Object& o) {
  TrainStepOptions t;
  t.optimizer = optimizerOptionsFromJs(o);
  t.loss = lossFromJs(o.Get("loss"));
  t.gradClip = getNumber(o, "gradClip", t.gradClip);
  return t;
}

EvaluateOptions evaluateOptionsFromJs(const Napi::Object& o) {
  EvaluateOptions e;
  e.loss = lossFromJs(o.Get("loss"));
  e.batchSize = getInteger(o, "batchSize", e.batchSize);
  return e;
}

PredictOptions predictOptionsFromJs(const Napi::Object& o) {
  PredictOptions p;
  p.output = parsePredictOutput(getString(o, "output", predictOutputName(p.output)));
  p.threshold = getNumber(o, "threshold", p.threshold);
  if (has(o, "tile")) {
    const auto tile = requireObject(o.Get("tile"), "tile");
    p.tileSize = getInteger(tile, "size", p.tileSize);
    p.tileOverlap = getNumber(tile, "overlap", p.tileOverlap);
    p.blend = parseTileBlend(getString(tile, "blend", tileBlendName(p.blend)));
    p.sigmaScale = getNumber(tile, "sigmaScale", p.sigmaScale);
  }
  if (has(o, "tta")) {
    if (getString(o, "tta", "") != "flips") throw Napi::RangeError::New(o.Env(), "tta: expected 'flips'");
    p.ttaFlips = true;
  }
  if (has(o, "maxPixels")) p.maxPixels = getInteger(o, "maxPixels", 0);
  p.validate();
  return p;
}

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
