#include "addon/fit_job.h"

#include <chrono>
#include <thread>

#include "addon/js_values.h"
#include "addon/options.h"

namespace unet::js {

// One progress event, made on the compute thread and delivered to onProgress on the JS thread. The job outlives
// it: the job's own settlement is sent after its last event, through the same queue.
struct FitJob::Progress : JsThread::Delivery {
  Progress(FitJob* job, bool epochEnd, int64_t step, int64_t epoch, double loss, EpochRecord record = {})
      : job(job), epochEnd(epochEnd), step(step), epoch(epoch), loss(loss), record(record) {}

  void Deliver(Napi::Env env) override {
    auto event = Napi::Object::New(env);
    event.Set("type", Napi::String::New(env, epochEnd ? "epochEnd" : "batchEnd"));
    event.Set("step", Napi::Number::New(env, static_cast<double>(step)));
    event.Set("epoch", Napi::Number::New(env, static_cast<double>(epoch)));
    event.Set("loss", Napi::Number::New(env, loss));
    if (epochEnd) event.Set("logs", epochRecordToJs(env, record));
    // Plain Node-API, failure ignored: the TypeScript side catches the user callbacks' errors, and a worker thread
    // being terminated fails the call (node-addon-api would make that a fatal error).
    napi_value argument = event, result;
    if (napi_call_function(env, env.Undefined(), job->onProgress_.Value(), 1, &argument, &result) != napi_ok) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }

  FitJob* job;
  bool epochEnd;
  int64_t step, epoch;
  double loss;
  EpochRecord record;
};

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

Napi::Array historyToJs(Napi::Env env, const std::vector<EpochRecord>& history) {
  auto array = Napi::Array::New(env, history.size());
  for (size_t i = 0; i < history.size(); ++i) array.Set(i, epochRecordToJs(env, history[i]));
  return array;
}

FitJob::FitJob(const Napi::CallbackInfo& info, std::shared_ptr<Model> model)
    : Job(info.Env(), "fit"), model_(std::move(model)) {
  images_ = Borrow(tensorFromJs(info[0], "images"));
  masks_ = Borrow(tensorFromJs(info[1], "masks"));
  if (!info[2].IsUndefined() && !info[2].IsNull()) valImages_ = Borrow(tensorFromJs(info[2], "validation.images"));
  if (!info[3].IsUndefined() && !info[3].IsNull()) valMasks_ = Borrow(tensorFromJs(info[3], "validation.masks"));
  options_ = fitOptionsFromJs(info[4]);
  if (!info[5].IsFunction()) throw Napi::TypeError::New(info.Env(), "onProgress: expected a function");
  onProgress_ = Napi::Persistent(info[5].As<Napi::Function>());
  auto stopFlag = Borrow(tensorFromJs(info[6], "stopFlag"));
  if (stopFlag.scalar_type() != torch::kInt32 || stopFlag.numel() != 2) {
    throw Napi::TypeError::New(info.Env(), "stopFlag: expected an Int32Array of length 2");
  }
  flag_ = stopFlag.data_ptr<int32_t>();
}

void FitJob::Run() {
  FitData data{images_, masks_, valImages_, valMasks_};
  // flag[0]: stop requested; flag[1]: how many epoch events JS has finished handling. A closing environment stops
  // the loop too, so that its teardown does not wait for a whole fit.
  const auto stopRequested = [this] {
    return __atomic_load_n(&flag_[0], __ATOMIC_ACQUIRE) != 0 || Channel().Closing();
  };
  FitCallbacks callbacks;
  // Batch events never hold up the next batch, however slow the JS callback.
  callbacks.onBatchEnd = [this](int64_t step, int64_t epoch, double loss) {
    steps_ = step;
    auto* progress = new Progress(this, false, step, epoch, loss);
    if (!Channel().Send(progress)) delete progress;
  };
  // An epoch end is a barrier: the next epoch starts once onEpochEnd has returned, so a stop asked for there
  // leaves the model exactly at that epoch's end. Polling is fine at one wait per epoch.
  callbacks.onEpochEnd = [this, stopRequested](const EpochRecord& record) {
    ++epochEvents_;
    auto* progress = new Progress(this, true, steps_, record.epoch, record.loss, record);
    if (!Channel().Send(progress)) {
      delete progress;
      return;
    }
    while (__atomic_load_n(&flag_[1], __ATOMIC_ACQUIRE) < epochEvents_ && !stopRequested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  callbacks.stopRequested = stopRequested;
  result_ = model_->fit(data, options_, callbacks);
}

Napi::Value FitJob::Result(Napi::Env env) {
  auto result = Napi::Object::New(env);
  result.Set("history", historyToJs(env, result_.history));
  result.Set("aborted", Napi::Boolean::New(env, result_.aborted));
  // How many events were sent, so the caller can wait for the last one before settling.
  result.Set("batchEvents", Napi::Number::New(env, static_cast<double>(steps_)));
  result.Set("epochEvents", Napi::Number::New(env, static_cast<double>(epochEvents_)));
  return result;
}

}  // namespace unet::js
