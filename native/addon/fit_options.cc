#include "addon/option_reader.h"
#include "addon/options.h"
#include "core/options/range.h"

namespace unet::js {

namespace {

// The optimiser's fields sit flat among fit's and trainStep's; the name picks the other defaults.
OptimizerOptions readOptimizer(OptionReader& reader) {
  std::string name = OptimizerOptions().name;
  reader.read("optimizer", name);
  auto optimizer = OptimizerOptions::defaultsFor(name);
  reader.read("lr", optimizer.lr);
  reader.read("weightDecay", optimizer.weightDecay);
  reader.read("momentum", optimizer.momentum);
  reader.read("nesterov", optimizer.nesterov);
  optimizer.validate(reader.path());
  return optimizer;
}

// A name, or { name, factor, patience, minLr }.
ScheduleOptions readSchedule(OptionReader& reader) {
  ScheduleOptions schedule;
  const auto value = reader.take("schedule");
  const auto path = reader.path("schedule");
  if (value.IsString()) {
    schedule.name = value.As<Napi::String>().Utf8Value();
    schedule.validate(path, true);
  } else if (!value.IsUndefined()) {
    OptionReader nested(value, path);
    if (!nested.has("name"))
      throwTypeError(value.Env(), path + ".name", range::choices({"constant", "plateau", "cosine", "poly"}),
                     nested.take("name"));
    nested.read("name", schedule.name);
    nested.read("factor", schedule.factor);
    nested.read("patience", schedule.patience);
    nested.read("minLr", schedule.minLr);
    nested.finish();
    schedule.validate(path);
  }
  return schedule;
}

std::string readFilePath(OptionReader& reader, const char* key) {
  const auto value = reader.take(key);
  if (!value.IsString() || value.As<Napi::String>().Utf8Value().empty()) {
    throwTypeError(value.Env(), reader.path(key), "a file path", value);
  }
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace

FitOptions fitOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  FitOptions f;
  reader.read("epochs", f.epochs);
  reader.read("batchSize", f.batchSize);
  f.optimizer = readOptimizer(reader);
  f.schedule = readSchedule(reader);
  f.loss = lossFromJs(reader.take("loss"), reader.path("loss"));
  reader.read("gradClip", f.gradClip);
  const auto earlyStopping = reader.take("earlyStopping");
  if (!earlyStopping.IsUndefined() && !(earlyStopping.IsBoolean() && !earlyStopping.As<Napi::Boolean>().Value())) {
    OptionReader nested(earlyStopping, reader.path("earlyStopping"));
    if (!nested.has("patience"))
      throwTypeError(value.Env(), nested.path("patience"), "an integer >= 1", nested.take("patience"));
    int64_t patience = 0;
    nested.read("patience", patience);
    nested.finish();
    f.earlyStoppingPatience = patience;
  }
  reader.read("shuffle", f.shuffle);
  reader.read("seed", f.seed);
  reader.read("mixedPrecision", f.mixedPrecision);
  f.augment = augmentOptionsFromJs(reader.take("augment"), reader.path("augment"));
  if (reader.has("checkpoint")) {
    OptionReader checkpoint(reader.take("checkpoint"), reader.path("checkpoint"));
    f.checkpointPath = readFilePath(checkpoint, "path");
    checkpoint.read("monitor", f.checkpointMonitor);
    checkpoint.finish();
  }
  if (reader.has("resumeFrom")) f.resumeFrom = readFilePath(reader, "resumeFrom");
  reader.finish();
  f.validate();
  return f;
}

TrainStepOptions trainStepOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  TrainStepOptions t;
  t.optimizer = readOptimizer(reader);
  t.loss = lossFromJs(reader.take("loss"), reader.path("loss"));
  reader.read("gradClip", t.gradClip);
  reader.finish();
  t.validate();
  return t;
}

EvaluateOptions evaluateOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  EvaluateOptions e;
  e.loss = lossFromJs(reader.take("loss"), reader.path("loss"));
  reader.read("batchSize", e.batchSize);
  reader.finish();
  e.validate();
  return e;
}

}  // namespace unet::js
