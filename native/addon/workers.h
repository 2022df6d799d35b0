// The AsyncWorker base every long operation derives from: Run() on the compute thread (the libuv worker
// waits for it), the Promise settled on the JS thread, every exception turned into a rejection (never a crash).
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <string>

#include "addon/js_errors.h"
#include "addon/tensor_bridge.h"

namespace unet::js {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::string operation);

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Called on the JS thread once the Promise is settled: the model's queue starts its next job here.
  void OnSettled(std::function<void()> callback) { onSettled_ = std::move(callback); }

 protected:
  virtual void Run() = 0;                         // compute thread: libtorch work only, no N-API
  virtual Napi::Value Result(Napi::Env env) = 0;  // JS thread: convert the result

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error& error) final;
  void settle();

  std::string operation_;
  Napi::Promise::Deferred deferred_;
  CaughtError failure_;
  std::function<void()> onSettled_;
};

// Runs a function that returns one tensor; resolves with a number for a 0-d result, else a tensor.
class TensorTaskWorker : public PromiseWorker {
 public:
  TensorTaskWorker(Napi::Env env, std::string operation, std::function<torch::Tensor()> task);

  void SetTask(std::function<torch::Tensor()> task) { task_ = std::move(task); }

  // Keeps an input's JS memory alive while the task reads it; returns the view for the task to capture.
  torch::Tensor Borrow(BorrowedTensor&& borrowed);

 protected:
  void Run() override;
  Napi::Value Result(Napi::Env env) override;

 private:
  std::vector<Napi::ObjectReference> keepAlive_;
  std::vector<const void*> borrowedMemory_;
  std::function<torch::Tensor()> task_;
  torch::Tensor result_;
};

}  // namespace unet::js
