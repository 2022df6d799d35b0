// The base of every native operation that returns a Promise. Run() does the libtorch work on the compute thread;
// the Promise is settled on the JS thread through the environment's JsThread, so no libuv pool thread waits for
// libtorch. Every exception becomes a rejection whose message starts with the operation (never a crash).
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "addon/js_errors.h"
#include "addon/js_thread.h"
#include "addon/tensor_bridge.h"

namespace unet::js {

class Job : public JsThread::Delivery {
 public:
  Job(Napi::Env env, std::string operation);

  // Hands the job to the compute thread, which owns it from here, and returns its Promise.
  Napi::Promise Queue();
  Napi::Promise Promise() { return Napi::Promise(env_, promise_); }  // in the scope of the call that made the job

  // Keeps an input's JS memory alive until the job is settled; returns the view for Run() to read.
  torch::Tensor Borrow(BorrowedTensor&& borrowed);

  // Called on the JS thread once the Promise is settled: a model's queue starts its next job here.
  void OnSettled(std::function<void()> callback) { onSettled_ = std::move(callback); }

 protected:
  virtual void Run() = 0;                         // compute thread: libtorch only
  virtual Napi::Value Result(Napi::Env env) = 0;  // JS thread: converts what Run() made

  // A result that still views borrowed JS memory (an identity operation) must own its data before JS gets it.
  torch::Tensor Owned(const torch::Tensor& result) const;
  JsThread& Channel() { return *channel_; }

 private:
  void Execute();  // compute thread
  bool ran_ = false;
  void Deliver(Napi::Env env) final;  // JS thread: settles the Promise

  std::string operation_;
  // Plain Node-API: settling must not throw (node-addon-api turns a failure into a fatal error, and a worker thread
  // being terminated fails every call that needs JS).
  napi_env env_;
  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  std::shared_ptr<JsThread> channel_;
  std::optional<CaughtError> failure_;
  std::vector<Napi::ObjectReference> keepAlive_;
  std::vector<const void*> borrowedMemory_;
  std::function<void()> onSettled_;
};

// A job whose work is a function and whose result a converter turns into a JS value. Tensor results are made
// ready for JS (CPU, contiguous, their own memory) on the compute thread.
template <typename Value>
class Task final : public Job {
 public:
  using Convert = std::function<Napi::Value(Napi::Env, Value&)>;

  Task(Napi::Env env, std::string operation, Convert convert)
      : Job(env, std::move(operation)), convert_(std::move(convert)) {}

  // Set after Borrow(), so that the work can capture the borrowed views.
  void SetWork(std::function<Value()> work) { work_ = std::move(work); }

 protected:
  void Run() override {
    value_ = work_();
    if constexpr (std::is_same_v<Value, torch::Tensor>) value_ = Owned(toJsLayout(value_));
  }
  Napi::Value Result(Napi::Env env) override { return convert_(env, value_); }

 private:
  Convert convert_;
  std::function<Value()> work_;
  Value value_{};
};

using Nothing = std::monostate;

// A task that resolves with nothing (its work returns Nothing{}), not yet queued.
std::unique_ptr<Task<Nothing>> actionTask(Napi::Env env, std::string operation);

// Resolves with a number for a 0-d tensor, else with a tensor.
std::unique_ptr<Task<torch::Tensor>> tensorTask(Napi::Env env, std::string operation);

}  // namespace unet::js
