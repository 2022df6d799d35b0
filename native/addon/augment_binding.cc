#include "addon/augment_binding.h"

#include <utility>

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options.h"
#include "core/training/augment.h"
#include "core/training/fit.h"

namespace unet::js {

Napi::Value Augment(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    using Pair = std::pair<torch::Tensor, torch::Tensor>;
    auto task = std::make_unique<Task<Pair>>(info.Env(), "augment", [](Napi::Env env, Pair& result) -> Napi::Value {
      auto object = Napi::Object::New(env);
      object.Set("images", tensorToJs(env, result.first));
      object.Set("masks", tensorToJs(env, result.second));
      return object;
    });
    auto images = task->Borrow(tensorFromJs(info[0], "images"));
    auto masks = task->Borrow(tensorFromJs(info[1], "masks"));
    const auto options = augmentOptionsFromJs(info[2], "options");
    const auto seed = optionalSeed(info[3], "seed").value_or(FitOptions().seed);  // fit's default seed
    task->SetWork([images, masks, options, seed] {
      auto [augmentedImages, augmentedMasks] = augment(images, masks, options, seed);
      return Pair{toJsLayout(augmentedImages), toJsLayout(augmentedMasks)};
    });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
