#include "addon/backend_binding.h"

#include <cmath>

#include "addon/js_errors.h"
#include "addon/js_values.h"
#include "addon/option_reader.h"
#include "core/runtime/backend.h"
#include "core/runtime/compute_thread.h"

namespace unet::js {

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto backend = backendInfo();
    auto env = info.Env();
    auto result = Napi::Object::New(env);
    result.Set("torchVersion", Napi::String::New(env, backend.torchVersion));
    result.Set("cuda", Napi::Boolean::New(env, backend.cuda));
    result.Set("cudaDevices", Napi::Number::New(env, static_cast<double>(backend.cudaDevices)));
    result.Set("threads", Napi::Number::New(env, static_cast<double>(backend.threads)));
    result.Set("nice", Napi::Number::New(env, static_cast<double>(backend.nice)));
    result.Set("blas", Napi::String::New(env, backend.blas));
    result.Set("cpuBf16", Napi::Boolean::New(env, backend.cpuBf16));
    result.Set("cpuAmx", Napi::Boolean::New(env, backend.cpuAmx));
    result.Set("autoPrecision", Napi::String::New(env, backend.autoPrecision));
    return result;
  });
}

namespace {

// The first argument as an integer, or a TypeError naming it (the core checks the range).
int64_t integerArgument(const Napi::CallbackInfo& info, const std::string& name) {
  const double value = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.5;
  if (value != std::floor(value) || std::fabs(value) > kMaxSafeInteger) {
    throw Napi::TypeError::New(info.Env(), name + ": expected an integer, got " + describeValue(info[0]));
  }
  return static_cast<int64_t>(value);
}

}  // namespace

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    ComputeThread::instance().setThreads(integerArgument(info, "threads"));
    return info.Env().Undefined();
  });
}

Napi::Value SetComputeNice(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    ComputeThread::instance().setNice(integerArgument(info, "nice"));
    return info.Env().Undefined();
  });
}

}  // namespace unet::js
