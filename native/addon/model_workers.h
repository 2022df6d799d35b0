// The workers of the model's operations that are more than one tensor task: creating and loading a model,
// gradients, the state dict out and in, evaluation, and file jobs (save, export, import). Each Run() is libtorch
// work on the compute thread; each Result() converts on the JS thread.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "addon/model_wrap.h"
#include "addon/tensor_bridge.h"
#include "addon/workers.h"
#include "core/losses/loss_spec.h"
#include "core/training/trainer.h"

namespace unet::js {

class CreateModelWorker : public PromiseWorker {
 public:
  CreateModelWorker(Napi::Env env, UNetOptions options, torch::Device device, std::optional<uint64_t> seed);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  UNetOptions options_;
  torch::Device device_;
  std::optional<uint64_t> seed_;
  std::shared_ptr<ModelState> state_;
};

// A model built from a checkpoint: its configuration, weights, optimiser state and training progress.
class LoadModelWorker : public PromiseWorker {
 public:
  LoadModelWorker(Napi::Env env, std::string path, torch::Device device);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::string path_;
  torch::Device device_;
  std::shared_ptr<ModelState> state_;
};

// Loss and gradients of one training-mode pass, without an optimiser step; the model is left as it was.
class GradientsWorker : public PromiseWorker {
 public:
  GradientsWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images, BorrowedTensor targets,
                  LossSpec loss);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<ModelState> state_;
  BorrowedTensor images_, targets_;
  LossSpec loss_;
  double lossValue_ = 0;
  std::vector<std::pair<std::string, torch::Tensor>> gradients_;
};

class StateDictWorker : public PromiseWorker {
 public:
  StateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<ModelState> state_;
  std::map<std::string, torch::Tensor> entries_;
};

// Replaces every parameter and buffer; all names and shapes are checked before anything is copied.
class LoadStateDictWorker : public PromiseWorker {
 public:
  LoadStateDictWorker(Napi::Env env, std::shared_ptr<ModelState> state, std::map<std::string, BorrowedTensor> entries);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::shared_ptr<ModelState> state_;
  std::map<std::string, BorrowedTensor> entries_;
};

// Loss, Dice and IoU on data in eval mode, as fit's validation computes them.
class EvaluateWorker : public PromiseWorker {
 public:
  EvaluateWorker(Napi::Env env, std::shared_ptr<ModelState> state, BorrowedTensor images, BorrowedTensor masks,
                 LossSpec loss, int64_t batchSize);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

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
  FileTaskWorker(Napi::Env env, std::string operation, std::function<void()> task);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::function<void()> task_;
};

}  // namespace unet::js
