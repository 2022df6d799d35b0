#include "addon/fit_worker.h"

#include <chrono>
#include <thread>

#include "addon/js_values.h"
#include "addon/options_bridge.h"

namespace unet::js {

struct FitWorker::Progress {
  bool epochEnd = false;
  int64_t step = 0, epoch = 0;
  double loss = 0;
  EpochRecord record;
};

namespace {

BorrowedTensor optionalTensor(const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined() || value.IsNull()) return {};
  return tensorFromJs(value, name);
}

Napi::Value numberOrNull(Napi::Env env, double value) {
  return std::isnan(value) ? env.Null() : Napi::Number::New(env, value);
}

}  // namespace

Napi::Object epochRecordToJs(Napi::Env env, const EpochRecord& r) {
  auto o = Napi::Object::New(env);
  o.Set("epoch", Napi::Number::New(env, static_cast<double>(r.epoch)));
  o.Set("loss", Napi::Number::New(env, r.loss));
  o.Set("lr", Napi::Number::New(env, r.lr));
  o.Set("imagesPerSecond", Napi::Number::New(env, r.imagesPerSecond));
  o.Set("valLoss", numberOrNull(env, r.valLoss));
  o.Set("valDice", numberOrNull(env, r.valDice));
  o.Set("valIoU", numberOrNull(env, r.valIoU));
  o.Set("seconds", Napi::Number::New(env, r.seconds));
  return o;
}

FitWorker::FitWorker(const Napi::CallbackInfo& info, std::shared_ptr<ModelState> state)
    : PromiseWorker(info.Env(), "fit"), state_(std::move(state)) {
  images_ = tensorFromJs(info[0], "images");
  masks_ = tensorFromJs(info[1], "masks");
  valImages_ = optionalTensor(info[2], "validation.images");
  valMasks_ = optionalTensor(info[3], "validation.masks");
  const auto options = requireObject(info[4], "options");
  options_ = fitOptionsFromJs(options);
  validationSplit_ = getNumber(options, "validationSplit", 0.0);
  if (!info[5].IsFunction()) throw Napi::TypeError::New(info.Env(), "onProgress: expected a function");
  stopFlag_ = tensorFromJs(info[6], "stopFlag");
  if (stopFlag_.tensor.scalar_type() != torch::kInt32 || stopFlag_.tensor.numel() != 2) {
    throw Napi::TypeError::New(info.Env(), "stopFlag: expected an Int32Array of length 2");
  }
  progress_ = ProgressFunction::New(info.Env(), info[5].As<Napi::Function>(), "torch-unet fit progress", 0, 1);
}

FitWorker::~FitWorker() {
  progress_.Release();
}

void FitWorker::Run() {
  FitData data{images_.tensor, masks_.tensor, valImages_.tensor, valMasks_.tensor, validationSplit_};
  // flag[0]: stop requested; flag[1]: how many epoch events JS has finished handling.
  auto* flag = stopFlag_.tensor.data_ptr<int32_t>();
  const auto stopRequested = [flag] { return __atomic_load_n(&flag[0], __ATOMIC_ACQUIRE) != 0; };
  FitCallbacks callbacks;
  // Batch events never hold up the next batch, however slow the JS callback.
  callbacks.onBatchEnd = [this](int64_t step, int64_t epoch, double loss) {
    steps_ = step;
    progress_.NonBlockingCall(new Progress{false, step, epoch, loss, {}});
  };
  // An epoch end is a barrier: the next epoch starts once onEpochEnd has returned, so a stop asked for there
  // leaves the model exactly at that epoch's end. Polling is fine at one wait per epoch.
  callbacks.onEpochEnd = [this, flag, stopRequested](const EpochRecord& record) {
    ++epochEvents_;
    if (progress_.NonBlockingCall(new Progress{true, steps_, record.epoch, record.loss, record}) != napi_ok) return;
    while (__atomic_load_n(&flag[1], __ATOMIC_ACQUIRE) < epochEvents_ && !stopRequested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  callbacks.stopRequested = stopRequested;
  state_->inference = nullptr;  // predict refolds the trained weights
  result_ = fit(state_->module, state_->training, data, options_, callbacks);
}

void FitWorker::DeliverProgress(Napi::Env env, Napi::Function callback, std::nullptr_t*, Progress* progress) {
  std::unique_ptr<Progress> owned(progress);
  if (env == nullptr || callback.IsEmpty()) return;
  auto event = Napi::Object::New(env);
  event.Set("type", Napi::String::New(env, progress->epochEnd ? "epochEnd" : "batchEnd"));
  event.Set("step", Napi::Number::New(env, static_cast<double>(progress->step)));
  event.Set("epoch", Napi::Number::New(env, static_cast<double>(progress->epoch)));
  event.Set("loss", Napi::Number::New(env, progress->loss));
  if (progress->epochEnd) event.Set("logs", epochRecordToJs(env, progress->record));
  // The TypeScript side catches errors of user callbacks; anything else must not escape into Node.
  try {
    callback.Call({event});
  } catch (const Napi::Error&) {
  }
}

Napi::Value FitWorker::Result(Napi::Env env) {
  auto result = Napi::Object::New(env);
  auto history = Napi::Array::New(env, result_.history.size());
  for (size_t i = 0; i < result_.history.size(); ++i) history.Set(i, epochRecordToJs(env, result_.history[i]));
  result.Set("history", history);
  result.Set("stoppedEarly", Napi::Boolean::New(env, result_.stoppedEarly));
  result.Set("aborted", Napi::Boolean::New(env, result_.aborted));
  // How many events were sent, so the caller can wait for the last one before settling.
  result.Set("batchEvents", Napi::Number::New(env, static_cast<double>(steps_)));
  result.Set("epochEvents", Napi::Number::New(env, static_cast<double>(epochEvents_)));
  return result;
}

}  // namespace unet::js
