// The JS-visible model (NativeUNet): each method reads its arguments, queues one operation of the core Model and
// converts the result. A model hands the compute thread one job at a time, the next once the last has settled: its
// operations run in call order, and models with many queued calls take turns with the others instead of filling
// the compute thread's queue (the event loop also runs between two jobs). dispose() leaves queued jobs to finish,
// as they hold the Model too.
#pragma once

#include <napi.h>

#include <deque>
#include <memory>

#include "addon/job.h"
#include "core/model/model.h"

namespace unet::js {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<Model> model);

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

  std::shared_ptr<Model> live(const char* operation) const;  // throws once disposed
  Napi::Promise enqueue(Job* job);
  Napi::Value fileJob(const Napi::CallbackInfo& info, const char* operation, void (Model::*action)(const std::string&));
  void startNext();

  std::shared_ptr<Model> model_;
  std::deque<Job*> pending_;
  bool running_ = false;
};

// createModel(options, device: string, seed: number | undefined): Promise<NativeUNet>
Napi::Value CreateModel(const Napi::CallbackInfo& info);

// loadModel(path, device: string): Promise<NativeUNet> from a checkpoint written by save() or fit.
Napi::Value LoadModel(const Napi::CallbackInfo& info);

}  // namespace unet::js
