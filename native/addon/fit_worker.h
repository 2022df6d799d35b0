// model.fit on the native side: the whole loop runs in one job on the compute thread; progress reaches JS
// through a thread-safe function, and a shared Int32Array stops it ([0]) and acknowledges epoch ends ([1]).
#pragma once

#include <napi.h>

#include <memory>

#include "addon/model_wrap.h"
#include "addon/tensor_bridge.h"
#include "addon/workers.h"
#include "core/training/trainer.h"

namespace unet::js {

class FitWorker : public PromiseWorker {
 public:
  // info: images, masks, valImages | undefined, valMasks | undefined, options, onProgress(event), stopFlag
  // (Int32Array(2))
  FitWorker(const Napi::CallbackInfo& info, std::shared_ptr<ModelState> state);
  ~FitWorker() override;

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  struct Progress;
  static void DeliverProgress(Napi::Env env, Napi::Function callback, std::nullptr_t*, Progress* progress);
  using ProgressFunction = Napi::TypedThreadSafeFunction<std::nullptr_t, Progress, DeliverProgress>;

  std::shared_ptr<ModelState> state_;
  BorrowedTensor images_, masks_, valImages_, valMasks_, stopFlag_;
  FitOptions options_;
  double validationSplit_ = 0;
  ProgressFunction progress_;
  FitResult result_;
  int64_t steps_ = 0, epochEvents_ = 0;
};

Napi::Object epochRecordToJs(Napi::Env env, const EpochRecord& record);

}  // namespace unet::js
