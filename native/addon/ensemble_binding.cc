#include "addon/ensemble_binding.h"

#include <string>
#include <vector>

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options.h"
#include "core/inference/ensemble.h"

namespace unet::js {

Napi::Value CombinePredictions(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!info[0].IsArray()) throwTypeError(info.Env(), "probabilities", "an array of tensors", info[0]);
    const auto list = info[0].As<Napi::Array>();
    auto task = tensorTask(info.Env(), "combinePredictions");
    std::vector<torch::Tensor> probabilities;
    for (uint32_t m = 0; m < list.Length(); ++m) {
      probabilities.push_back(task->Borrow(tensorFromJs(list.Get(m), "probabilities[" + std::to_string(m) + "]")));
    }
    const auto options = predictOptionsFromJs(info[1]);
    task->SetWork(
        [probabilities = std::move(probabilities), options] { return combinePredictions(probabilities, options); });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
