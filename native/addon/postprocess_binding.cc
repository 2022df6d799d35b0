#include "addon/postprocess_binding.h"

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options.h"
#include "core/postprocess/postprocess.h"

namespace unet::js {

namespace {

std::function<torch::Tensor()> postprocessTask(const std::string& kind, const torch::Tensor& mask,
                                               const Napi::Value& options) {
  if (kind == "keepLargestComponent") {
    const auto keep = keepLargestComponentOptionsFromJs(options, "options");
    return [=] { return keepLargestComponent(mask, keep); };
  }
  if (kind == "fillHoles") {
    const auto fill = fillHolesOptionsFromJs(options, "options");
    return [=] { return fillHoles(mask, fill); };
  }
  if (kind == "removeSmallObjects") {
    const auto remove = removeSmallObjectsOptionsFromJs(options, "options");
    return [=] { return removeSmallObjects(mask, remove); };
  }
  if (kind == "apply") {
    const auto transforms = postprocessOptionsFromJs(options, "options");
    return [=] { return postprocess(mask, transforms); };
  }
  throw std::invalid_argument("postprocess: unknown kind '" + kind + "'");
}

}  // namespace

Napi::Value Postprocess(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string kind = requireString(info[0], "postprocess");
    auto task = tensorTask(info.Env(), "postprocess." + kind);
    auto mask = task->Borrow(tensorFromJs(info[1], "mask"));
    auto work = postprocessTask(kind, mask, info[2]);
    task->SetWork([work = std::move(work)] {
      torch::NoGradGuard noGrad;
      return work();
    });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
