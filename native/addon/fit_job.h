// model.fit on the native side: the whole loop runs as one job on the compute thread. Progress events reach JS
// through the environment's JsThread (never blocking the loop); a shared Int32Array stops it ([0]) and
// acknowledges epoch ends ([1]).
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "addon/job.h"
#include "addon/tensor_bridge.h"
#include "core/model/model.h"

namespace unet::js {

class FitJob : public Job {
 public:
  // info: images, masks, valImages | undefined, valMasks | undefined, options, onProgress(event), stopFlag
  // (Int32Array(2))
  FitJob(const Napi::CallbackInfo& info, std::shared_ptr<Model> model);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  struct Progress;

  std::shared_ptr<Model> model_;
  torch::Tensor images_, masks_, valImages_, valMasks_;
  int32_t* flag_ = nullptr;
  FitOptions options_;
  Napi::FunctionReference onProgress_;
  FitResult result_;
  int64_t steps_ = 0, epochEvents_ = 0;
};

// fit's epoch logs, as JS sees them: { epoch, loss, lr, imagesPerSecond, valLoss, valDice, valIoU, seconds }.
Napi::Object epochRecordToJs(Napi::Env env, const EpochRecord& record);
Napi::Array historyToJs(Napi::Env env, const std::vector<EpochRecord>& history);

}  // namespace unet::js
