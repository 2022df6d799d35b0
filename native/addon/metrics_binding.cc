#include "addon/metrics_binding.h"

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/options_bridge.h"
#include "core/metrics/metrics.h"

namespace unet::js {

namespace {

std::function<torch::Tensor()> metricTask(const std::string& kind, const torch::Tensor& pred,
                                          const torch::Tensor& target, const Napi::Object& options) {
  if (kind == "dice" || kind == "iou") {
    const auto metricOptions = overlapMetricOptionsFromJs(options);
    const bool dice = kind == "dice";
    return [=] { return dice ? diceMetric(pred, target, metricOptions) : iouMetric(pred, target, metricOptions); };
  }
  if (kind == "maskIoU") return [=] { return maskIoU(pred, target); };
  if (kind == "pixelAccuracy") return [=] { return pixelAccuracy(pred, target); };
  if (kind == "confusionMatrix") {
    const int64_t classes = getInteger(options, "classes", 0);
    if (classes < 1 || classes > 65536) throw std::invalid_argument("classes: expected an integer from 1 to 65536");
    return [=] { return confusionMatrix(pred, target, classes); };
  }
  if (kind == "binarize") {
    const double threshold = getNumber(options, "threshold", BinarizeOptions().threshold);
    return [=] { return binarize(pred, threshold); };
  }
  if (kind == "argmax") {
    const bool asOneHot = getBool(options, "oneHot", ArgmaxOptions().oneHot);
    return [=] {
      auto indices = argmaxIndices(pred);
      return asOneHot ? oneHot(indices, pred.size(1)) : indices;
    };
  }
  throw std::invalid_argument("metric: unknown kind '" + kind + "'");
}

}  // namespace

Napi::Value ComputeMetric(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string kind = requireString(info[0], "metric");
    auto task = tensorTask(info.Env(), "metrics." + kind);
    auto pred = task->Borrow(tensorFromJs(info[1], "pred"));
    torch::Tensor target;
    if (!info[2].IsUndefined() && !info[2].IsNull()) target = task->Borrow(tensorFromJs(info[2], "target"));
    auto metric = metricTask(kind, pred, target, requireObject(info[3], "options"));
    task->SetWork([metric = std::move(metric)] {
      torch::NoGradGuard noGrad;
      return metric();
    });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
