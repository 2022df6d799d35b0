#include "addon/model_wrap.h"

#include <map>
#include <optional>

#include "addon/addon_data.h"
#include "addon/fit_job.h"
#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options.h"
#include "addon/tensor_bridge.h"
#include "core/runtime/backend.h"

namespace unet::js {

namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

Napi::Object tensorMapToJs(Napi::Env env, const TensorMap& tensors) {
  auto object = Napi::Object::New(env);
  for (const auto& [name, tensor] : tensors) object.Set(name, tensorToJs(env, tensor));
  return object;
}

// Resolves with a new NativeUNet around the model the work makes.
Napi::Promise queueModel(Napi::Env env, std::string operation, std::function<std::shared_ptr<Model>()> work) {
  auto task = std::make_unique<Task<std::shared_ptr<Model>>>(
      env, std::move(operation),
      [](Napi::Env env, std::shared_ptr<Model>& model) -> Napi::Value { return ModelWrap::NewInstance(env, model); });
  task->SetWork(std::move(work));
  return task.release()->Queue();
}

}  // namespace

Napi::Function ModelWrap::DefineClass(Napi::Env env) {
  return Napi::ObjectWrap<ModelWrap>::DefineClass(env, "NativeUNet",
                                                  {
                                                      InstanceMethod<&ModelWrap::Forward>("forward"),
                                                      InstanceMethod<&ModelWrap::Predict>("predict"),
                                                      InstanceMethod<&ModelWrap::Gradients>("gradients"),
                                                      InstanceMethod<&ModelWrap::StateDict>("stateDict"),
                                                      InstanceMethod<&ModelWrap::LoadStateDict>("loadStateDict"),
                                                      InstanceMethod<&ModelWrap::Fit>("fit"),
                                                      InstanceMethod<&ModelWrap::TrainStep>("trainStep"),
                                                      InstanceMethod<&ModelWrap::Evaluate>("evaluate"),
                                                      InstanceMethod<&ModelWrap::Save>("save"),
                                                      InstanceMethod<&ModelWrap::ExportWeights>("exportWeights"),
                                                      InstanceMethod<&ModelWrap::ImportWeights>("importWeights"),
                                                      InstanceAccessor<&ModelWrap::History>("history"),
                                                      InstanceMethod<&ModelWrap::Dispose>("dispose"),
                                                      InstanceAccessor<&ModelWrap::Config>("config"),
                                                      InstanceAccessor<&ModelWrap::ParameterCount>("parameterCount"),
                                                      InstanceAccessor<&ModelWrap::Device>("device"),
                                                      InstanceAccessor<&ModelWrap::Disposed>("disposed"),
                                                  });
}

Napi::Object ModelWrap::NewInstance(Napi::Env env, std::shared_ptr<Model> model) {
  auto* holder = new std::shared_ptr<Model>(std::move(model));
  auto external = Napi::External<std::shared_ptr<Model>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<Model>* data) { delete data; });
  return AddonData::Of(env).modelConstructor.New({external});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeUNet is created by createModel(), not with new");
  }
  model_ = *info[0].As<Napi::External<std::shared_ptr<Model>>>().Data();
}

std::shared_ptr<Model> ModelWrap::live(const char* operation) const {
  if (!model_) throw Napi::Error::New(Env(), std::string(operation) + ": the model has been disposed");
  return model_;
}

Napi::Promise ModelWrap::enqueue(Job* job) {
  Ref();  // keeps this wrapper, and so its queue, alive until the job settles
  job->OnSettled([this] {
    running_ = false;
    startNext();
    Unref();
  });
  auto promise = job->Promise();
  pending_.push_back(job);
  if (!running_) startNext();
  return promise;
}

void ModelWrap::startNext() {
  if (pending_.empty()) return;
  running_ = true;
  auto* job = pending_.front();
  pending_.pop_front();
  job->Queue();
}

Napi::Value ModelWrap::Forward(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("forward");
    auto task = tensorTask(info.Env(), "forward");
    auto x = task->Borrow(tensorFromJs(info[0], "x"));
    const auto precision = forwardOptionsFromJs(info[1]);
    task->SetWork([model, x, precision] { return model->forward(x, precision); });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::Predict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("predict");
    auto task = tensorTask(info.Env(), "predict");
    auto images = task->Borrow(tensorFromJs(info[0], "images"));
    const auto options = predictOptionsFromJs(info[1]);
    task->SetWork([model, images, options] { return model->predict(images, options); });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::Gradients(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("gradients");
    auto task = std::make_unique<Task<unet::Gradients>>(info.Env(), "gradients",
                                                        [](Napi::Env env, unet::Gradients& result) -> Napi::Value {
                                                          auto object = Napi::Object::New(env);
                                                          object.Set("loss", Napi::Number::New(env, result.loss));
                                                          auto gradients = Napi::Object::New(env);
                                                          for (const auto& [name, gradient] : result.byParameter)
                                                            gradients.Set(name, tensorToJs(env, gradient));
                                                          object.Set("gradients", gradients);
                                                          return object;
                                                        });
    auto images = task->Borrow(tensorFromJs(info[0], "images"));
    auto targets = task->Borrow(tensorFromJs(info[1], "targets"));
    auto loss = lossFromJs(info[2], "loss");
    task->SetWork([model, images, targets, loss = std::move(loss)] {
      auto result = model->gradients(images, targets, loss);
      for (auto& [name, gradient] : result.byParameter) gradient = toJsLayout(gradient);
      return result;
    });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::StateDict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("stateDict");
    auto task = std::make_unique<Task<TensorMap>>(info.Env(), "stateDict", tensorMapToJs);
    task->SetWork([model] { return model->stateDict(); });  // CPU, contiguous copies already
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::LoadStateDict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("loadStateDict");
    auto task = actionTask(info.Env(), "loadStateDict");
    auto record = requireObject(info[0], "stateDict");
    TensorMap entries;
    const auto names = record.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).ToString().Utf8Value();
      entries.emplace(name, task->Borrow(tensorFromJs(record.Get(name), "stateDict['" + name + "']")));
    }
    task->SetWork([model, entries = std::move(entries)] {
      model->loadStateDict(entries);
      return Nothing{};
    });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::Fit(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return enqueue(new FitJob(info, live("fit"))); });
}

Napi::Value ModelWrap::TrainStep(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("trainStep");
    auto task = tensorTask(info.Env(), "trainStep");
    auto images = task->Borrow(tensorFromJs(info[0], "images"));
    auto masks = task->Borrow(tensorFromJs(info[1], "masks"));
    const auto options = trainStepOptionsFromJs(info[2]);
    task->SetWork([model, images, masks, options] {
      return torch::tensor({model->trainStep(images, masks, options), options.optimizer.lr}, torch::kFloat64);
    });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live("evaluate");
    auto task = std::make_unique<Task<Evaluation>>(info.Env(), "evaluate",
                                                   [](Napi::Env env, Evaluation& result) -> Napi::Value {
                                                     auto object = Napi::Object::New(env);
                                                     object.Set("loss", Napi::Number::New(env, result.loss));
                                                     object.Set("dice", numberOrNull(env, result.dice));
                                                     object.Set("iou", numberOrNull(env, result.iou));
                                                     return object;
                                                   });
    auto images = task->Borrow(tensorFromJs(info[0], "images"));
    auto masks = task->Borrow(tensorFromJs(info[1], "masks"));
    const auto options = evaluateOptionsFromJs(info[2]);
    task->SetWork([model, images, masks, options] { return model->evaluate(images, masks, options); });
    return enqueue(task.release());
  });
}

// save, exportWeights and importWeights: a path in, nothing out.
Napi::Value ModelWrap::fileJob(const Napi::CallbackInfo& info, const char* operation,
                               void (Model::*action)(const std::string&)) {
  return guard(info, [&]() -> Napi::Value {
    auto model = live(operation);
    const auto path = requireString(info[0], "path");
    auto task = actionTask(info.Env(), operation);
    task->SetWork([model, path, action] {
      ((*model).*action)(path);
      return Nothing{};
    });
    return enqueue(task.release());
  });
}

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  return fileJob(info, "save", &Model::save);
}

Napi::Value ModelWrap::ExportWeights(const Napi::CallbackInfo& info) {
  return fileJob(info, "exportWeights", &Model::exportWeights);
}

Napi::Value ModelWrap::ImportWeights(const Napi::CallbackInfo& info) {
  return fileJob(info, "importWeights", &Model::importWeights);
}

// The epochs trained so far. Not synchronised with a running fit: lib/ reads it only when the model is created or
// loaded, before any job, and keeps its own copy after that.
Napi::Value ModelWrap::History(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return historyToJs(info.Env(), live("history")->history()); });
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  model_.reset();  // queued jobs keep their own reference and finish; the weights go with the last one
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Config(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return unetOptionsToJs(info.Env(), live("config")->options()); });
}

Napi::Value ModelWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(live("parameterCount")->parameterCount()));
  });
}

Napi::Value ModelWrap::Device(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), live("device")->device().str()); });
}

Napi::Value ModelWrap::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !model_);
}

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto path = requireString(info[0], "path");
    const auto device = parseDevice(info[1].IsUndefined() ? kDefaultDevice : requireString(info[1], "device"));
    return queueModel(info.Env(), "UNet.load", [path, device] { return Model::load(path, device); });
  });
}

Napi::Value CreateModel(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto options = unetOptionsFromJs(info[0]);
    const auto device = parseDevice(info[1].IsUndefined() ? kDefaultDevice : requireString(info[1], "device"));
    const auto seed = optionalSeed(info[2], "options.seed");
    return queueModel(info.Env(), "UNet.create",
                      [options, device, seed] { return Model::create(options, device, seed); });
  });
}

}  // namespace unet::js
