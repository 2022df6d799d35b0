#include "addon/model_wrap.h"

#include <map>
#include <optional>

#include "addon/addon_data.h"
#include "addon/fit_worker.h"
#include "addon/js_values.h"
#include "addon/model_workers.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"
#include "core/inference/predict.h"
#include "core/io/checkpoint.h"
#include "core/losses/loss_spec.h"
#include "core/runtime/backend.h"

namespace unet::js {

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

Napi::Object ModelWrap::NewInstance(Napi::Env env, std::shared_ptr<ModelState> state) {
  auto* holder = new std::shared_ptr<ModelState>(std::move(state));
  auto external = Napi::External<std::shared_ptr<ModelState>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<ModelState>* data) { delete data; });
  return AddonData::Of(env).modelConstructor.New({external});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeUNet is created by createModel(), not with new");
  }
  state_ = *info[0].As<Napi::External<std::shared_ptr<ModelState>>>().Data();
}

std::shared_ptr<ModelState> ModelWrap::live(const char* operation) const {
  if (!state_) throw Napi::Error::New(Env(), std::string(operation) + ": the model has been disposed");
  return state_;
}

Napi::Promise ModelWrap::enqueue(PromiseWorker* worker) {
  Ref();  // keeps this wrapper alive until the job settles
  worker->OnSettled([this] {
    running_ = false;
    startNext();
    Unref();
  });
  auto promise = worker->Promise();
  pending_.push_back(worker);
  if (!running_) startNext();
  return promise;
}

void ModelWrap::startNext() {
  if (pending_.empty()) return;
  running_ = true;
  auto* worker = pending_.front();
  pending_.pop_front();
  worker->Queue();
}

Napi::Value ModelWrap::Forward(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("forward");
    auto* worker = new TensorTaskWorker(info.Env(), "forward", nullptr);
    std::unique_ptr<TensorTaskWorker> owned(worker);
    auto x = worker->Borrow(tensorFromJs(info[0], "x"));
    state->module->checkInput(x);
    worker->SetTask([state, x] {
      c10::InferenceMode inference;
      requireFinite(x, "x");
      state->module->eval();
      return state->module->forward(x.to(state->device, torch::kFloat32));
    });
    return enqueue(owned.release());
  });
}

Napi::Value ModelWrap::Predict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("predict");
    auto worker = std::make_unique<TensorTaskWorker>(info.Env(), "predict", nullptr);
    auto images = worker->Borrow(tensorFromJs(info[0], "images"));
    state->module->checkInput(images);
    const auto options = predictOptionsFromJs(requireObject(info[1], "options"));
    worker->SetTask([state, images, options] {
      requireFinite(images, "images");
      if (!state->inference) state->inference = std::make_shared<InferenceNet>(state->module);
      return predict(*state->inference, images.to(state->device, torch::kFloat32), options);
    });
    return enqueue(worker.release());
  });
}

Napi::Value ModelWrap::Gradients(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("gradients");
    auto images = tensorFromJs(info[0], "images");
    auto targets = tensorFromJs(info[1], "targets");
    state->module->checkInput(images.tensor);
    auto loss = lossSpecFromJs(requireString(info[2], "loss"), requireObject(info[3], "lossOptions"));
    return enqueue(new GradientsWorker(info.Env(), state, std::move(images), std::move(targets), std::move(loss)));
  });
}

Napi::Value ModelWrap::StateDict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return enqueue(new StateDictWorker(info.Env(), live("stateDict"))); });
}

Napi::Value ModelWrap::LoadStateDict(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("loadStateDict");
    auto record = requireObject(info[0], "stateDict");
    std::map<std::string, BorrowedTensor> entries;
    const auto names = record.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).ToString().Utf8Value();
      entries.emplace(name, tensorFromJs(record.Get(name), "stateDict['" + name + "']"));
    }
    return enqueue(new LoadStateDictWorker(info.Env(), state, std::move(entries)));
  });
}

Napi::Value ModelWrap::Fit(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return enqueue(new FitWorker(info, live("fit"))); });
}

Napi::Value ModelWrap::TrainStep(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("trainStep");
    auto worker = std::make_unique<TensorTaskWorker>(info.Env(), "trainStep", nullptr);
    auto images = worker->Borrow(tensorFromJs(info[0], "images"));
    auto masks = worker->Borrow(tensorFromJs(info[1], "masks"));
    const auto options = requireObject(info[2], "options");
    auto loss = lossFromJs(options.Get("loss"));
    auto optimizer = optimizerOptionsFromJs(options);
    const double gradClip = getNumber(options, "gradClip", 0.0);
    worker->SetTask([state, images, masks, loss = std::move(loss), optimizer, gradClip] {
      state->inference = nullptr;
      return torch::tensor(trainStep(state->module, state->training, images, masks, loss, optimizer, gradClip),
                           torch::kFloat64);
    });
    return enqueue(worker.release());
  });
}

Napi::Value ModelWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("evaluate");
    auto images = tensorFromJs(info[0], "images");
    auto masks = tensorFromJs(info[1], "masks");
    state->module->checkInput(images.tensor);
    const auto options = requireObject(info[2], "options");
    auto loss = lossFromJs(options.Get("loss"));
    const int64_t batchSize = getInteger(options, "batchSize", 8);
    if (batchSize < 1) throw Napi::RangeError::New(info.Env(), "batchSize: expected an integer >= 1");
    return enqueue(
        new EvaluateWorker(info.Env(), state, std::move(images), std::move(masks), std::move(loss), batchSize));
  });
}

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("save");
    const auto path = requireString(info[0], "path");
    return enqueue(new FileTaskWorker(
        info.Env(), "save", [state, path] { saveCheckpoint(path, makeCheckpoint(state->module, state->training)); }));
  });
}

Napi::Value ModelWrap::ExportWeights(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("exportWeights");
    const auto path = requireString(info[0], "path");
    return enqueue(new FileTaskWorker(info.Env(), "exportWeights",
                                      [state, path] { exportStateDict(path, namedState(*state->module)); }));
  });
}

Napi::Value ModelWrap::ImportWeights(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto state = live("importWeights");
    const auto path = requireString(info[0], "path");
    return enqueue(new FileTaskWorker(info.Env(), "importWeights", [state, path] {
      loadNamedState(*state->module, importStateDict(path));
      state->inference = nullptr;
    }));
  });
}

// The epochs trained so far. Not synchronised with a running fit: lib/unet.ts reads it only when the model is
// created or loaded, before any job, and keeps its own copy after that.
Napi::Value ModelWrap::History(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto& history = live("history")->training.history;
    auto array = Napi::Array::New(info.Env(), history.size());
    for (size_t i = 0; i < history.size(); ++i) array.Set(i, epochRecordToJs(info.Env(), history[i]));
    return array;
  });
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  state_.reset();  // queued jobs keep their own reference and finish; the weights go with the last one
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Config(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return unetOptionsToJs(info.Env(), live("config")->options); });
}

Napi::Value ModelWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(live("parameterCount")->parameterCount));
  });
}

Napi::Value ModelWrap::Device(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), live("device")->device.str()); });
}

Napi::Value ModelWrap::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !state_);
}

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto* worker =
        new LoadModelWorker(info.Env(), requireString(info[0], "path"), parseDevice(requireString(info[1], "device")));
    auto promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

Napi::Value CreateModel(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto options = unetOptionsFromJs(requireObject(info[0], "options"));
    const auto device = parseDevice(requireString(info[1], "device"));
    std::optional<uint64_t> seed;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "seed: expected a non-negative integer");
      const double value = info[2].As<Napi::Number>().DoubleValue();
      if (!(value >= 0) || value != std::floor(value) || value > 9007199254740991.0) {
        throw Napi::RangeError::New(info.Env(), "seed: expected a non-negative integer");
      }
      seed = static_cast<uint64_t>(value);
    }
    auto* worker = new CreateModelWorker(info.Env(), options, device, seed);
    auto promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

}  // namespace unet::js
