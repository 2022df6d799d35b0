#include "addon/process_group_wrap.h"

#include "addon/addon_data.h"
#include "addon/job.h"
#include "addon/option_fields.h"
#include "addon/option_reader.h"
#include "addon/options.h"
#include "core/distributed/sampler.h"

namespace unet::js {

Napi::Function ProcessGroupWrap::DefineClass(Napi::Env env) {
  return Napi::ObjectWrap<ProcessGroupWrap>::DefineClass(
      env, "NativeProcessGroup",
      {
          InstanceAccessor<&ProcessGroupWrap::Rank>("rank"),
          InstanceAccessor<&ProcessGroupWrap::WorldSize>("worldSize"),
          InstanceAccessor<&ProcessGroupWrap::Backend>("backend"),
          InstanceMethod<&ProcessGroupWrap::Barrier>("barrier"),
          InstanceMethod<&ProcessGroupWrap::Allreduce>("allreduce"),
      });
}

Napi::Object ProcessGroupWrap::NewInstance(Napi::Env env, std::shared_ptr<ProcessGroup> group) {
  auto* holder = new std::shared_ptr<ProcessGroup>(std::move(group));
  auto external = Napi::External<std::shared_ptr<ProcessGroup>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<ProcessGroup>* data) { delete data; });
  return AddonData::Of(env).processGroupConstructor.New({external});
}

std::shared_ptr<ProcessGroup> ProcessGroupWrap::From(const Napi::Value& value, const std::string& path) {
  const auto& constructor = AddonData::Of(value.Env()).processGroupConstructor;
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(constructor.Value())) {
    throwTypeError(value.Env(), path, "a process group from initProcessGroup()", value);
  }
  return Unwrap(value.As<Napi::Object>())->group_;
}

ProcessGroupWrap::ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeProcessGroup is created by initProcessGroup(), not with new");
  }
  group_ = *info[0].As<Napi::External<std::shared_ptr<ProcessGroup>>>().Data();
}

Napi::Value ProcessGroupWrap::Rank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(group_->rank()));
}

Napi::Value ProcessGroupWrap::WorldSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(group_->worldSize()));
}

Napi::Value ProcessGroupWrap::Backend(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), distributedBackendName(group_->options().backend));
}

Napi::Value ProcessGroupWrap::Barrier(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto task = actionTask(info.Env(), "processGroup.barrier");
    task->SetWork([group = group_] {
      group->barrier();
      return Nothing{};
    });
    return task.release()->Queue();
  });
}

Napi::Value ProcessGroupWrap::Allreduce(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto task = tensorTask(info.Env(), "processGroup.allreduce");
    auto tensor = task->Borrow(tensorFromJs(info[0], "tensor"));
    task->SetWork([group = group_, tensor] {
      // A float32 copy: the sum is written in place, and the caller's memory stays its own.
      auto sum = tensor.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true).contiguous();
      group->allreduceSum({sum})->wait();
      return sum;
    });
    return task.release()->Queue();
  });
}

Napi::Value InitProcessGroup(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const auto options = processGroupOptionsFromJs(info[0]);
    auto task = std::make_unique<Task<std::shared_ptr<ProcessGroup>>>(
        info.Env(), "initProcessGroup", [](Napi::Env env, std::shared_ptr<ProcessGroup>& group) -> Napi::Value {
          return ProcessGroupWrap::NewInstance(env, group);
        });
    task->SetWork([options] { return initProcessGroup(options); });
    return task.release()->Queue();
  });
}

Napi::Value DistributedSupport(const Napi::CallbackInfo& info) {
  auto result = Napi::Object::New(info.Env());
  for (auto backend : {DistributedBackend::Gloo, DistributedBackend::Nccl}) {
    const auto missing = distributedMissing(backend);
    result.Set(distributedBackendName(backend),
               missing.empty() ? info.Env().Null() : Napi::String::New(info.Env(), missing).As<Napi::Value>());
  }
  return result;
}

const Fields<SamplerOptions> kSamplerFields = {
    {"rank", &SamplerOptions::rank}, {"worldSize", &SamplerOptions::worldSize}, {"shuffle", &SamplerOptions::shuffle},
    {"seed", &SamplerOptions::seed}, {"dropLast", &SamplerOptions::dropLast},
};

Napi::Value DistributedIndices(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!info[0].IsNumber()) throwTypeError(info.Env(), "count", "an integer", info[0]);
    if (!info[1].IsNumber()) throwTypeError(info.Env(), "epoch", "an integer", info[1]);
    const auto count = static_cast<int64_t>(info[0].As<Napi::Number>().DoubleValue());
    const auto epoch = static_cast<int64_t>(info[1].As<Napi::Number>().DoubleValue());
    OptionReader reader(info[2], "options");
    SamplerOptions options;
    readFields(reader, options, kSamplerFields);
    reader.finish();
    const auto indices = distributedIndices(count, epoch, options);
    auto result = Napi::Array::New(info.Env(), static_cast<size_t>(indices.numel()));
    const auto* values = indices.data_ptr<int64_t>();
    for (int64_t i = 0; i < indices.numel(); ++i) result.Set(static_cast<uint32_t>(i), static_cast<double>(values[i]));
    return result;
  });
}

}  // namespace unet::js
