#include "addon/backend_binding.h"

#include "addon/js_errors.h"
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
    result.Set("blas", Napi::String::New(env, backend.blas));
    return result;
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads: expected an integer from 1 to 1024");
    const double threads = info[0].As<Napi::Number>().DoubleValue();
    if (threads != static_cast<double>(static_cast<int64_t>(threads))) {
      throw Napi::RangeError::New(info.Env(), "threads: expected an integer from 1 to 1024");
    }
    ComputeThread::instance().setThreads(static_cast<int64_t>(threads));
    return info.Env().Undefined();
  });
}

}  // namespace unet::js
