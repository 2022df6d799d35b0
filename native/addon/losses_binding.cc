#include "addon/losses_binding.h"

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options.h"
#include "core/losses/loss_spec.h"

namespace unet::js {

Napi::Value ComputeLoss(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string kind = requireString(info[0], "loss");
    auto spec = lossSpecFromJs(kind, info[3], "loss", "options");
    auto task = tensorTask(info.Env(), "losses." + kind);
    auto input = task->Borrow(tensorFromJs(info[1], "input"));
    auto target = task->Borrow(tensorFromJs(info[2], "target"));
    task->SetWork([spec = std::move(spec), input, target] {
      torch::NoGradGuard noGrad;
      return computeLoss(spec, input, target);
    });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
