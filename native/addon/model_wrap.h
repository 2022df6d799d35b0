// The JS-visible model: owns the libtorch U-Net and runs its operations one at a time, in call order,
// on libuv worker threads.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <deque>
#include <memory>
#include <string>

#include "addon/workers.h"
#include "core/inference/inference_net.h"
#include "core/model/unet.h"
#include "core/training/trainer.h"

namespace unet::js {

// What a model's jobs share. Jobs hold it by shared_ptr, so dispose() never frees it under a running job.
struct ModelState {
  UNet module{nullptr};
  UNetOptions options;
  torch::Device device{torch::kCPU};
  int64_t parameterCount = 0;
  TrainingState training;                   // the optimiser and progress that fit, trainStep, save and resuming share
  std::shared_ptr<InferenceNet> inference;  // predict's, made on first use; reset by every job that changes weights
};

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<ModelState> state);

  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Gradients(const Napi::CallbackInfo& info);
  Napi::Value StateDict(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);
  Napi::Value Fit(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value ExportWeights(const Napi::CallbackInfo& info);
  Napi::Value ImportWeights(const Napi::CallbackInfo& info);
  Napi::Value History(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Config(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);

  std::shared_ptr<ModelState> live(const char* operation) const;  // throws once disposed
  Napi::Promise enqueue(PromiseWorker* worker);
  void startNext();

  std::shared_ptr<ModelState> state_;
  std::deque<PromiseWorker*> pending_;
  bool running_ = false;
};

// createModel(options, device: string, seed: number | undefined): Promise<ModelWrap>
Napi::Value CreateModel(const Napi::CallbackInfo& info);

// loadModel(path, device: string): Promise<ModelWrap> from a checkpoint written by save() or fit.
Napi::Value LoadModel(const Napi::CallbackInfo& info);

}  // namespace unet::js
