#include "addon/model_workers.h"

#include <cmath>
#include <mutex>

#include "core/io/checkpoint.h"
#include "core/training/optimizer.h"

namespace unet::js {

namespace {

// Seeding and construction must not interleave between two models created at once: the RNG is global.
std::mutex& constructionMutex() {
  static std::mutex mutex;
  return mutex;
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

// A new model's last steps: on its device, in eval mode, its parameters counted.
void placeModel(ModelState& state, torch::Device device) {
  state.module->to(state.device = device);
  state.module->eval();
  state.parameterCount = parameterCount(*state.module);
}

}  // namespace

CreateModelWorker::CreateModelWorker(Napi::Env env, UNetOptions options, torch::Device device,
                                     std::optional<uint64_t> seed)
    : PromiseWorker(env, "UNet.create"), options_(options), device_(device), seed_(seed) {}

void CreateModelWorker::Run() {
  state_ = std::make_shared<ModelState>();
  {
    std::lock_guard<std::mutex> lock(constructionMutex());
    if (seed_) torch::manual_seed(*seed_);
    state_->module = UNet(options_);
  }
  state_->options = options_;
  placeModel(*state_, device_);
}

Napi::Value CreateModelWorker::Result(Napi::Env env) {
  return ModelWrap::NewInstance(env, state_);
}

LoadModelWorker::LoadModelWorker(Napi::Env env, std::string path, torch::Device device)
    : PromiseWorker(env, "UNet.load"), path_(std::move(path)), device_(device) {}

void LoadModelWorker::Run() {
  auto checkpoint = loadCheckpoint(path_);
  state_ = std::make_shared<ModelState>();
  state_->options = checkpoint.options;
  state_->module = UNet(checkpoint.options);
  loadNamedState(*state_->module, checkpoint.modelState);
  placeModel(*state_, device_);
  decodeTrainingState(checkpoint.trainingState, state_->training);
  if (!checkpoint.optimizer.empty()) {
    OptimizerOptions optimizer;
    optimizer.name = checkpoint.optimizer;
    state_->training.optimizer = std::make_unique<Optimizer>(namedParameters(state_->module), optimizer);
    state_->training.optimizer->loadState(checkpoint.optimizerState);
  }
}

Napi::Value LoadModelWorker::Result(Napi::Env env) {
  return ModelWrap::NewInstance(env, state_);
}

GradientsWorker::GradientsWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images,
                                 BorrowedTensor targets, LossSpec loss)
    : PromiseWorker(env, "gradients"),
      state_(std::move(state)),
      images_(std::move(images)),
      targets_(std::move(targets)),
      loss_(std::move(loss)) {}

void GradientsWorker::Run() {
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

Napi::Value GradientsWorker::Result(Napi::Env env) {
  auto result = Napi::Object::New(env);
  result.Set("loss", Napi::Number::New(env, lossValue_));
  auto gradients = Napi::Object::New(env);
  for (const auto& [name, gradient] : gradients_) gradients.Set(name, tensorToJs(env, gradient));
  result.Set("gradients", gradients);
  return result;
}

StateDictWorker::StateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state)
    : PromiseWorker(env, "stateDict"), state_(std::move(state)) {}

void StateDictWorker::Run() {
  entries_ = namedState(*state_->module);
}

Napi::Value StateDictWorker::Result(Napi::Env env) {
  auto result = Napi::Object::New(env);
  for (const auto& [name, value] : entries_) result.Set(name, tensorToJs(env, value));
  return result;
}

LoadStateDictWorker::LoadStateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state,
                                         std::map<std::string, BorrowedTensor> entries)
    : PromiseWorker(env, "loadStateDict"), state_(std::move(state)), entries_(std::move(entries)) {}

void LoadStateDictWorker::Run() {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [name, entry] : entries_) tensors.emplace(name, entry.tensor);
  loadNamedState(*state_->module, tensors);
  state_->inference = nullptr;
}

Napi::Value LoadStateDictWorker::Result(Napi::Env env) {
  return env.Undefined();
}

EvaluateWorker::EvaluateWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images,
                               BorrowedTensor masks, LossSpec loss, int64_t batchSize)
    : PromiseWorker(env, "evaluate"),
      state_(std::move(state)),
      images_(std::move(images)),
      masks_(std::move(masks)),
      loss_(std::move(loss)),
      batchSize_(batchSize) {}

void EvaluateWorker::Run() {
  const auto x = images_.tensor.to(state_->device, torch::kFloat32);
  requireFinite(x, "images");
  const auto y = prepareMasks(masks_.tensor, state_->options.classes, x, "masks");
  result_ = evaluate(state_->module, x, y, loss_, batchSize_);
}

Napi::Value EvaluateWorker::Result(Napi::Env env) {
  auto result = Napi::Object::New(env);
  result.Set("loss", Napi::Number::New(env, result_.loss));
  result.Set("dice", std::isnan(result_.dice) ? env.Null() : Napi::Number::New(env, result_.dice));
  result.Set("iou", std::isnan(result_.iou) ? env.Null() : Napi::Number::New(env, result_.iou));
  return result;
}

FileTaskWorker::FileTaskWorker(Napi::Env env, std::string operation, std::function<void()> task)
    : PromiseWorker(env, std::move(operation)), task_(std::move(task)) {}

void FileTaskWorker::Run() {
  task_();
}

Napi::Value FileTaskWorker::Result(Napi::Env env) {
  return env.Undefined();
}

}  // namespace unet::js
