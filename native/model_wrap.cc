#include "model_wrap.h"

#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "addon_data.h"
#include "backend.h"
#include "checkpoint.h"
#include "fit_worker.h"
#include "js_values.h"
#include "loss_spec.h"
#include "options_bridge.h"
#include "predictor.h"
#include "tensor_bridge.h"

namespace unet::js {

namespace {

// Seeding and construction must not interleave between two models created at once: the RNG is global.
std::mutex& constructionMutex() {
  static std::mutex mutex;
  return mutex;
}

class CreateModelWorker : public PromiseWorker {
 public:
  CreateModelWorker(Napi::Env env, UNetOptions options, torch::Device device, std::optional<uint64_t> seed)
      : PromiseWorker(env, "UNet.create"), options_(options), device_(device), seed_(seed) {}

 protected:
  void Run() override {
    state_ = std::make_shared<ModelState>();
    {
      std::lock_guard<std::mutex> lock(constructionMutex());
      if (seed_) torch::manual_seed(*seed_);
      state_->module = UNet(options_);
    }
    state_->module->to(state_->device = device_);
    state_->module->eval();
    state_->options = options_;
    state_->parameterCount = parameterCount(*state_->module);
  }

  Napi::Value Result(Napi::Env env) override { return ModelWrap::NewInstance(env, state_); }

 private:
  UNetOptions options_;
  torch::Device device_;
  std::optional<uint64_t> seed_;
  std::shared_ptr<ModelState> state_;
};

// Buffers (batch-norm running statistics) as they were, put back when a training-mode pass ends.
class BufferSnapshot {
 public:
  explicit BufferSnapshot(torch::nn::Module& module) : module_(module) {
    torch::NoGradGuard noGrad;
    for (const auto& buffer : module.named_buffers()) saved_.emplace_back(buffer.key(), buffer.value().clone());
  }
  ~BufferSnapshot() {
    torch::NoGradGuard noGrad;
    auto buffers = module_.named_buffers();
    for (const auto& [name, value] : saved_) buffers[name].copy_(value);
  }

 private:
  torch::nn::Module& module_;
  std::vector<std::pair<std::string, torch::Tensor>> saved_;
};

// Loss and gradients of one training-mode pass, without an optimiser step; the model is left as it was.
class GradientsWorker : public PromiseWorker {
 public:
  GradientsWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images, BorrowedTensor targets,
                  LossSpec loss)
      : PromiseWorker(env, "gradients"),
        state_(std::move(state)),
        images_(std::move(images)),
        targets_(std::move(targets)),
        loss_(std::move(loss)) {}

 protected:
  void Run() override {
    auto& module = *state_->module;
    BufferSnapshot buffers(module);
    module.train();
    module.zero_grad();
    try {
      requireFinite(images_.tensor, "images");
      auto logits = state_->module->forward(images_.tensor.to(state_->device, torch::kFloat32));
      auto loss = computeLoss(loss_, logits, targets_.tensor.to(state_->device));
      if (loss.dim() != 0) throw std::invalid_argument("loss.reduction: expected 'mean' or 'sum' for gradients");
      loss.backward();
      lossValue_ = loss.item<double>();
      for (const auto& parameter : module.named_parameters()) {
        if (parameter.value().grad().defined())
          gradients_.emplace_back(parameter.key(), parameter.value().grad().clone());
      }
    } catch (...) {
      module.zero_grad();
      module.eval();
      throw;
    }
    module.zero_grad();
    module.eval();
  }

  Napi::Value Result(Napi::Env env) override {
    auto result = Napi::Object::New(env);
    result.Set("loss", Napi::Number::New(env, lossValue_));
    auto gradients = Napi::Object::New(env);
    for (const auto& [name, gradient] : gradients_) gradients.Set(name, tensorToJs(env, gradient));
    result.Set("gradients", gradients);
    return result;
  }

 private:
  std::shared_ptr<ModelState> state_;
  BorrowedTensor images_, targets_;
  LossSpec loss_;
  double lossValue_ = 0;
  std::vector<std::pair<std::string, torch::Tensor>> gradients_;
};

class StateDictWorker : public PromiseWorker {
 public:
  StateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state)
      : PromiseWorker(env, "stateDict"), state_(std::move(state)) {}

 protected:
  void Run() override { entries_ = namedState(*state_->module); }

  Napi::Value Result(Napi::Env env) override {
    auto result = Napi::Object::New(env);
    for (const auto& [name, value] : entries_) result.Set(name, tensorToJs(env, value));
    return result;
  }

 private:
  std::shared_ptr<ModelState> state_;
  std::map<std::string, torch::Tensor> entries_;
};

// Replaces every parameter and buffer; all names and shapes are checked before anything is copied.
class LoadStateDictWorker : public PromiseWorker {
 public:
  LoadStateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state, std::map<std::string, BorrowedTensor> entries)
      : PromiseWorker(env, "loadStateDict"), state_(std::move(state)), entries_(std::move(entries)) {}

 protected:
  void Run() override {
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [name, entry] : entries_) tensors.emplace(name, entry.tensor);
    loadNamedState(*state_->module, tensors);
    state_->inference = nullptr;
  }

  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<ModelState> state_;
  std::map<std::string, BorrowedTensor> entries_;
};

// A model built from a checkpoint: its configuration, weights, optimiser state and training progress.
class LoadModelWorker : public PromiseWorker {
 public:
  LoadModelWorker(Napi::Env env, std::string path, torch::Device device)
      : PromiseWorker(env, "UNet.load"), path_(std::move(path)), device_(device) {}

 protected:
  void Run() override {
    auto checkpoint = loadCheckpoint(path_);
    state_ = std::make_shared<ModelState>();
    state_->options = checkpoint.options;
    state_->module = UNet(checkpoint.options);
    loadNamedState(*state_->module, checkpoint.modelState);
    state_->module->to(state_->device = device_);
    state_->module->eval();
    state_->parameterCount = parameterCount(*state_->module);
    decodeTrainingState(checkpoint.trainingState, state_->training);
    if (!checkpoint.optimizer.empty()) {
      OptimizerOptions optimizer;
      optimizer.name = checkpoint.optimizer;
      state_->training.optimizer = std::make_unique<Optimizer>(namedParameters(state_->module), optimizer);
      state_->training.optimizer->loadState(checkpoint.optimizerState);
    }
  }

  Napi::Value Result(Napi::Env env) override { return ModelWrap::NewInstance(env, state_); }

 private:
  std::string path_;
  torch::Device device_;
  std::shared_ptr<ModelState> state_;
};

// Loss, Dice and IoU on data in eval mode, as fit's validation computes them.
class EvaluateWorker : public PromiseWorker {
 public:
  EvaluateWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images, BorrowedTensor masks,
                 LossSpec loss, int64_t batchSize)
      : PromiseWorker(env, "evaluate"),
        state_(std::move(state)),
        images_(std::move(images)),
        masks_(std::move(masks)),
        loss_(std::move(loss)),
        batchSize_(batchSize) {}

 protected:
  void Run() override {
    const auto x = images_.tensor.to(state_->device, torch::kFloat32);
    requireFinite(x, "images");
    const auto y = prepareMasks(masks_.tensor, state_->options.classes, x, "masks");
    result_ = evaluate(state_->module, x, y, loss_, batchSize_);
  }

  Napi::Value Result(Napi::Env env) override {
    auto result = Napi::Object::New(env);
    result.Set("loss", Napi::Number::New(env, result_.loss));
    result.Set("dice", std::isnan(result_.dice) ? env.Null() : Napi::Number::New(env, result_.dice));
    result.Set("iou", std::isnan(result_.iou) ? env.Null() : Napi::Number::New(env, result_.iou));
    return result;
  }

 private:
  std::shared_ptr<ModelState> state_;
  BorrowedTensor images_, masks_;
  LossSpec loss_;
  int64_t batchSize_;
  Evaluation result_{};
};

// A job with no result but success: saving and loading files.
class FileTaskWorker : public PromiseWorker {
 public:
  FileTaskWorker(Napi::Env env, std::string operation, std::function<void()> task)
      : PromiseWorker(env, std::move(operation)), task_(std::move(task)) {}

 protected:
  void Run() override { task_(); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::function<void()> task_;
};

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
