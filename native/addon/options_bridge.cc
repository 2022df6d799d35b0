#include "addon/options_bridge.h"

#include "addon/js_values.h"

namespace unet::js {

namespace {

Reduction reductionFromJs(const Napi::Object& o) {
  return parseReduction(getString(o, "reduction", "mean"));
}

DiceOptions diceOptionsFromJs(const Napi::Object& o) {
  DiceOptions d;
  d.includeBackground = getBool(o, "includeBackground", d.includeBackground);
  d.toOnehotY = getBool(o, "toOnehotY", d.toOnehotY);
  d.sigmoid = getBool(o, "sigmoid", d.sigmoid);
  d.softmax = getBool(o, "softmax", d.softmax);
  d.squaredPred = getBool(o, "squaredPred", d.squaredPred);
  d.jaccard = getBool(o, "jaccard", d.jaccard);
  d.reduction = reductionFromJs(o);
  d.smoothNr = getNumber(o, "smoothNr", d.smoothNr);
  d.smoothDr = getNumber(o, "smoothDr", d.smoothDr);
  d.batch = getBool(o, "batch", d.batch);
  d.weight = getNumberList(o, "weight");
  return d;
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
    b.reduction = reductionFromJs(o);
    return b;
  }
  if (kind == "crossEntropy") {
    CrossEntropyOptions c;
    c.weight = getNumberList(o, "weight");
    c.ignoreIndex = getInteger(o, "ignoreIndex", c.ignoreIndex);
    c.labelSmoothing = getNumber(o, "labelSmoothing", c.labelSmoothing);
    c.reduction = reductionFromJs(o);
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
    f.reduction = reductionFromJs(o);
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
    t.reduction = reductionFromJs(o);
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
  m.reduction = parseMetricReduction(getString(o, "reduction", "mean"));
  return m;
}

OptimizerOptions optimizerOptionsFromJs(const Napi::Object& o) {
  OptimizerOptions optimizer;
  optimizer.name = getString(o, "optimizer", optimizer.name);
  optimizer.lr = getNumber(o, "lr", optimizer.lr);
  optimizer.weightDecay = getNumber(o, "weightDecay", optimizer.weightDecay);
  optimizer.momentum = getNumber(o, "momentum", optimizer.momentum);
  optimizer.nesterov = getBool(o, "nesterov", optimizer.nesterov);
  optimizer.validate();
  return optimizer;
}

AugmentOptions augmentOptionsFromJs(const Napi::Object& o) {
  AugmentOptions a;
  const std::pair<const char*, double*> fields[] = {
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
  for (const auto& [key, field] : fields) *field = getNumber(o, key, *field);
  a.elasticGridPoints = getInteger(o, "elasticGridPoints", a.elasticGridPoints);
  a.validate();
  return a;
}

LossSpec lossFromJs(const Napi::Value& value) {
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
  if (has(o, "schedule")) {
    const auto schedule = requireObject(o.Get("schedule"), "schedule");
    f.schedule.name = getString(schedule, "name", f.schedule.name);
    f.schedule.factor = getNumber(schedule, "factor", f.schedule.factor);
    f.schedule.patience = getInteger(schedule, "patience", f.schedule.patience);
    f.schedule.minLr = getNumber(schedule, "minLr", f.schedule.minLr);
    f.schedule.validate();
  }
  f.loss = lossFromJs(o.Get("loss"));
  f.gradClip = getNumber(o, "gradClip", f.gradClip);
  f.earlyStoppingPatience = getInteger(o, "earlyStoppingPatience", f.earlyStoppingPatience);
  f.shuffle = getBool(o, "shuffle", f.shuffle);
  f.seed = static_cast<uint64_t>(getInteger(o, "seed", 0));
  if (has(o, "augment")) f.augment = augmentOptionsFromJs(requireObject(o.Get("augment"), "augment"));
  f.checkpointPath = getString(o, "checkpointPath", f.checkpointPath);
  f.checkpointMonitor = getString(o, "checkpointMonitor", f.checkpointMonitor);
  f.resumeFrom = getString(o, "resumeFrom", f.resumeFrom);
  f.mixedPrecision = getBool(o, "mixedPrecision", f.mixedPrecision);
  return f;
}

PredictOptions predictOptionsFromJs(const Napi::Object& o) {
  PredictOptions p;
  p.output = parsePredictOutput(getString(o, "output", "mask"));
  p.threshold = getNumber(o, "threshold", p.threshold);
  p.tileSize = getInteger(o, "tileSize", p.tileSize);
  p.tileOverlap = getNumber(o, "tileOverlap", p.tileOverlap);
  p.blend = parseTileBlend(getString(o, "blend", "gaussian"));
  p.sigmaScale = getNumber(o, "sigmaScale", p.sigmaScale);
  p.ttaFlips = getBool(o, "ttaFlips", p.ttaFlips);
  p.maxPixels = getInteger(o, "maxPixels", p.maxPixels);
  p.validate();
  return p;
}

}  // namespace unet::js
