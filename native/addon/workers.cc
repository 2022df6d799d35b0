#include "addon/workers.h"

#include "core/runtime/compute_thread.h"

namespace unet::js {

PromiseWorker::PromiseWorker(Napi::Env env, std::string operation)
    : Napi::AsyncWorker(env, "torch-unet"),
      operation_(std::move(operation)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

void PromiseWorker::Execute() {
  try {
    ComputeThread::instance().run([this] { Run(); });
  } catch (...) {
    failure_ = describeCurrentException();
    SetError(failure_.message);
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& error) {
    deferred_.Reject(error.Value());
  } catch (...) {
    deferred_.Reject(toJsError(env, describeCurrentException()).Value());
  }
  settle();
}

void PromiseWorker::OnError(const Napi::Error&) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  CaughtError failure = failure_;
  failure.message = operation_ + ": " + failure.message;
  deferred_.Reject(toJsError(env, failure).Value());
  settle();
}

void PromiseWorker::settle() {
  if (onSettled_) onSettled_();
}

TensorTaskWorker::TensorTaskWorker(Napi::Env env, std::string operation, std::function<torch::Tensor()> task)
    : PromiseWorker(env, std::move(operation)), task_(std::move(task)) {}

torch::Tensor TensorTaskWorker::Borrow(BorrowedTensor&& borrowed) {
  keepAlive_.push_back(std::move(borrowed.owner));
  if (borrowed.tensor.numel() > 0) borrowedMemory_.push_back(borrowed.tensor.storage().data());
  return borrowed.tensor;
}

void TensorTaskWorker::Run() {
  result_ = task_();
  // A result that still views JS memory (an identity op) must own its data before JS gets it back.
  if (result_.defined() && result_.numel() > 0 && result_.device().is_cpu()) {
    const void* memory = result_.storage().data();
    for (const void* borrowed : borrowedMemory_) {
      if (memory == borrowed) {
        result_ = result_.clone();
        break;
      }
    }
  }
}

Napi::Value TensorTaskWorker::Result(Napi::Env env) {
  return tensorOrNumberToJs(env, result_);
}

}  // namespace unet::js
