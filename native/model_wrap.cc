#include "model_wrap.h"

#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "addon_data.h"
#include "backend.h"
#include "js_values.h"
#include "loss_spec.h"
#include "options_bridge.h"
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

// NaN or Inf in the images would silently poison the logits (and, in training, the weights).
void checkFinite(const torch::Tensor& images, const char* name) {
  if (!torch::isfinite(images).all().item<bool>())
    throw std::invalid_argument(std::string(name) + ": contains NaN or Inf values");
}

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
      checkFinite(images_.tensor, "images");
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
  void Run() override {
    torch::NoGradGuard noGrad;
    for (const auto& item : state_->module->named_parameters()) entries_.emplace_back(item.key(), item.value().clone());
    for (const auto& item : state_->module->named_buffers()) entries_.emplace_back(item.key(), item.value().clone());
  }

  Napi::Value Result(Napi::Env env) override {
    auto result = Napi::Object::New(env);
    for (const auto& [name, value] : entries_) result.Set(name, tensorToJs(env, value));
    return result;
  }

 private:
  std::shared_ptr<ModelState> state_;
  std::vector<std::pair<std::string, torch::Tensor>> entries_;
};

// Replaces every parameter and buffer; all names and shapes are checked before anything is copied.
class LoadStateDictWorker : public PromiseWorker {
 public:
  LoadStateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state, std::map<std::string, BorrowedTensor> entries)
      : PromiseWorker(env, "loadStateDict"), state_(std::move(state)), entries_(std::move(entries)) {}

 protected:
  void Run() override {
    auto& module = *state_->module;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // destination, source
    std::set<std::string> expected;
    std::string missing, mismatched;
    auto plan = [&](const std::string& name, const torch::Tensor& destination) {
      expected.insert(name);
      auto found = entries_.find(name);
      if (found == entries_.end()) {
        missing += (missing.empty() ? "" : ", ") + name;
      } else if (found->second.tensor.sizes() != destination.sizes()) {
        mismatched += (mismatched.empty() ? "" : ", ") + name + " (expected " + shapeOf(destination) + ", got " +
                      shapeOf(found->second.tensor) + ")";
      } else {
        copies.emplace_back(destination, found->second.tensor);
      }
    };
    for (const auto& item : module.named_parameters()) plan(item.key(), item.value());
    for (const auto& item : module.named_buffers()) plan(item.key(), item.value());
    std::string unexpected;
    for (const auto& [name, entry] : entries_) {
      if (!expected.count(name)) unexpected += (unexpected.empty() ? "" : ", ") + name;
    }
    if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
      std::string message = "stateDict does not fit this model:";
      if (!missing.empty()) message += " missing " + missing + ";";
      if (!unexpected.empty()) message += " unexpected " + unexpected + ";";
      if (!mismatched.empty()) message += " wrong shape " + mismatched + ";";
      throw std::invalid_argument(message);
    }
    torch::NoGradGuard noGrad;
    for (auto& [destination, source] : copies)
      destination.copy_(source.to(destination.device(), destination.scalar_type()));
  }

  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  static std::string shapeOf(const torch::Tensor& tensor) {
    std::string text = "[";
    for (int64_t i = 0; i < tensor.dim(); ++i) text += (i ? ", " : "") + std::to_string(tensor.size(i));
    return text + "]";
  }

  std::shared_ptr<ModelState> state_;
  std::map<std::string, BorrowedTensor> entries_;
};

}  // namespace

Napi::Function ModelWrap::DefineClass(Napi::Env env) {
  return Napi::ObjectWrap<ModelWrap>::DefineClass(env, "NativeUNet",
                                                  {
                                                      InstanceMethod<&ModelWrap::Forward>("forward"),
                                                      InstanceMethod<&ModelWrap::Gradients>("gradients"),
                                                      InstanceMethod<&ModelWrap::StateDict>("stateDict"),
                                                      InstanceMethod<&ModelWrap::LoadStateDict>("loadStateDict"),
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
      checkFinite(x, "x");
      state->module->eval();
      return state->module->forward(x.to(state->device, torch::kFloat32));
    });
    return enqueue(owned.release());
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
