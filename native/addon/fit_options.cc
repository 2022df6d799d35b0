#include "addon/js_errors.h"
#include "addon/option_fields.h"
#include "addon/process_group_wrap.h"
#include "core/options/range.h"

namespace unet::js {

const Fields<OptimizerOptions> kOptimizerFields = {
    {"lr", &OptimizerOptions::lr},
    {"weightDecay", &OptimizerOptions::weightDecay},
    {"momentum", &OptimizerOptions::momentum},
    {"nesterov", &OptimizerOptions::nesterov},
};

const Fields<ScheduleOptions> kScheduleFields = {
    {"factor", &ScheduleOptions::factor},
    {"patience", &ScheduleOptions::patience},
    {"minLr", &ScheduleOptions::minLr},
};

const Fields<FitOptions> kFitFields = {
    {"epochs", &FitOptions::epochs},     {"batchSize", &FitOptions::batchSize},
    {"gradClip", &FitOptions::gradClip}, {"shuffle", &FitOptions::shuffle},
    {"seed", &FitOptions::seed},         {"syncBatchNorm", &FitOptions::syncBatchNorm},
};

namespace {

// The optimiser's fields sit flat among fit's and trainStep's; the name picks the other defaults.
OptimizerOptions readOptimizer(OptionReader& reader) {
  std::string name = OptimizerOptions().name;
  reader.read("optimizer", name);
  auto optimizer = OptimizerOptions::defaultsFor(name);
  readFields(reader, optimizer, kOptimizerFields);
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
      throwTypeError(value.Env(), path + ".name", range::choices(scheduleNames()), nested.take("name"));
    nested.read("name", schedule.name);
    readFields(nested, schedule, kScheduleFields);
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
  readFields(reader, f, kFitFields);
  readPrecision(reader, f.precision);
  f.optimizer = readOptimizer(reader);
  f.schedule = readSchedule(reader);
  f.loss = lossFromJs(reader.take("loss"), reader.path("loss"));
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
  f.augment = augmentOptionsFromJs(reader.take("augment"), reader.path("augment"));
  if (reader.has("checkpoint")) {
    OptionReader checkpoint(reader.take("checkpoint"), reader.path("checkpoint"));
    f.checkpointPath = readFilePath(checkpoint, "path");
    checkpoint.read("monitor", f.checkpointMonitor);
    checkpoint.finish();
  }
  if (reader.has("resumeFrom")) f.resumeFrom = readFilePath(reader, "resumeFrom");
  if (reader.has("processGroup"))
    f.processGroup = ProcessGroupWrap::From(reader.take("processGroup"), reader.path("processGroup"));
  reader.finish();
  f.validate();
  return f;
}

// trainStep's and evaluate's options: a loss, a few fields, and for trainStep the optimiser's.
template <typename Options>
Options lossAndFields(const Napi::Value& value, const Fields<Options>& fields, void (*more)(OptionReader&, Options&)) {
  OptionReader reader(value, "options");
  Options options;
  options.loss = lossFromJs(reader.take("loss"), reader.path("loss"));
  readFields(reader, options, fields);
  if (more) more(reader, options);
  reader.finish();
  options.validate();
  return options;
}

TrainStepOptions trainStepOptionsFromJs(const Napi::Value& value) {
  return lossAndFields<TrainStepOptions>(value, {{"gradClip", &TrainStepOptions::gradClip}},
                                         [](OptionReader& reader, TrainStepOptions& t) {
                                           t.optimizer = readOptimizer(reader);
                                           readPrecision(reader, t.precision);
                                         });
}

EvaluateOptions evaluateOptionsFromJs(const Napi::Value& value) {
  return lossAndFields<EvaluateOptions>(
      value, {{"batchSize", &EvaluateOptions::batchSize}},
      [](OptionReader& reader, EvaluateOptions& e) { readPrecision(reader, e.precision); });
}

Napi::Value CheckFitOptions(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto options = fitOptionsFromJs(info[0]);
    auto result = Napi::Object::New(info.Env());
    result.Set("epochs", static_cast<double>(options.epochs));
    result.Set("batchSize", static_cast<double>(options.batchSize));
    return result;
  });
}

}  // namespace unet::js
