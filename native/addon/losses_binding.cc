#include "addon/losses_binding.h"

#include "addon/js_errors.h"
#include "addon/js_values.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"
#include "addon/workers.h"
#include "core/losses/loss_spec.h"

namespace unet::js {

Napi::Value ComputeLoss(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string kind = requireString(info[0], "loss");
    auto spec = lossSpecFromJs(kind, requireObject(info[3], "options"));
    auto worker = std::make_unique<TensorTaskWorker>(info.Env(), "losses." + kind, nullptr);
    auto input = worker->Borrow(tensorFromJs(info[1], "input"));
    auto target = worker->Borrow(tensorFromJs(info[2], "target"));
    worker->SetTask([spec = std::move(spec), input, target] {
      torch::NoGradGuard noGrad;
      return computeLoss(spec, input, target);
    });
    auto promise = worker->Promise();
    worker.release()->Queue();
    return promise;
  });
}

}  // namespace unet::js
