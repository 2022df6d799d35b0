#include "addon/job.h"

#include "addon/addon_data.h"
#include "core/runtime/compute_thread.h"

namespace unet::js {

Job::Job(Napi::Env env, std::string operation)
    : operation_(std::move(operation)), env_(env), channel_(AddonData::Of(env).jsThread) {
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_promise(env, &deferred_, &promise_));
}

Napi::Promise Job::Queue() {
  auto promise = Promise();
  channel_->JobQueued(promise.Env());
  // Sent once the compute thread counts as idle, so that a setThreads() right after the Promise settles applies.
  ComputeThread::instance().post([this] { Execute(); },
                                 [this] {
                                   if (ran_) channel_->Send(this);
                                 });
  return promise;
}

torch::Tensor Job::Borrow(BorrowedTensor&& borrowed) {
  keepAlive_.push_back(std::move(borrowed.owner));
  if (borrowed.tensor.numel() > 0) borrowedMemory_.push_back(borrowed.tensor.storage().data());
  return borrowed.tensor;
}

torch::Tensor Job::Owned(const torch::Tensor& result) const {
  if (!result.defined() || result.numel() == 0 || !result.device().is_cpu()) return result;
  for (const void* borrowed : borrowedMemory_) {
    if (result.storage().data() == borrowed) return result.clone();
  }
  return result;
}

// Once the environment is gone its references cannot be released: the job is then left alone, not sent or deleted.
void Job::Execute() {
  ran_ = channel_->RunIfOpen([this] {
    try {
      Run();
    } catch (...) {
      failure_ = describeCurrentException();
    }
  });
}

void Job::Deliver(Napi::Env env) {
  if (failure_) {
    CaughtError failure = *failure_;
    failure.message = operation_ + ": " + failure.message;
    napi_reject_deferred(env, deferred_, toJsError(env, failure).Value());
  } else {
    try {
      napi_resolve_deferred(env, deferred_, Result(env));
    } catch (const Napi::Error& error) {
      napi_reject_deferred(env, deferred_, error.Value());
    } catch (...) {
      napi_reject_deferred(env, deferred_, toJsError(env, describeCurrentException()).Value());
    }
  }
  channel_->JobDone(env);
  if (onSettled_) onSettled_();
}

std::unique_ptr<Task<Nothing>> actionTask(Napi::Env env, std::string operation) {
  return std::make_unique<Task<Nothing>>(env, std::move(operation),
                                         [](Napi::Env env, Nothing&) -> Napi::Value { return env.Undefined(); });
}

std::unique_ptr<Task<torch::Tensor>> tensorTask(Napi::Env env, std::string operation) {
  return std::make_unique<Task<torch::Tensor>>(
      env, std::move(operation), [](Napi::Env env, torch::Tensor& result) { return tensorOrNumberToJs(env, result); });
}

}  // namespace unet::js
