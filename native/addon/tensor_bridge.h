// Typed arrays with a shape <-> torch::Tensor. Inputs are views over the typed array's memory (no copy);
// outputs are ArrayBuffers that own the result tensor's memory (no copy either).
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <string>

namespace unet::js {

// A tensor that views JS memory, with the reference that keeps that memory alive. Members are
// declared so that the view is destroyed before the reference.
struct BorrowedTensor {
  Napi::ObjectReference owner;
  torch::Tensor tensor;
};

// value: { data: Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array, shape: number[] }.
// Throws TypeError or RangeError naming `name` when data, shape or their agreement is wrong.
BorrowedTensor tensorFromJs(const Napi::Value& value, const std::string& name);

// A result as tensorToJs wraps it: detached, on the CPU, contiguous, in a dtype JS has an array for (bool becomes
// uint8, other dtypes float32). Libtorch work: call it on the compute thread.
torch::Tensor toJsLayout(const torch::Tensor& tensor);

// { data, shape, dtype } over the memory of a tensor in toJsLayout (no copy).
Napi::Object tensorToJs(Napi::Env env, torch::Tensor tensor);

// A 0-d tensor becomes a number; anything else a tensor object.
Napi::Value tensorOrNumberToJs(Napi::Env env, const torch::Tensor& tensor);

}  // namespace unet::js
