#include "addon/metrics_binding.h"

#include "addon/js_errors.h"
#include "addon/js_values.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"
#include "addon/workers.h"
#include "core/metrics/metrics.h"

namespace unet::js {

namespace {

// Class-index targets (N1...) are one-hot encoded to match a multi-channel prediction, so callers can
// pass label maps as they are.
torch::Tensor matchPrediction(const torch::Tensor& pred, const torch::Tensor& target) {
  const bool indices = !target.is_floating_point() && target.dim() == pred.dim() && target.size(1) == 1;
  if (indices && pred.size(1) > 1) return oneHot(target, pred.size(1));
  return target;
}

std::function<torch::Tensor()> metricTask(const std::string& kind, const torch::Tensor& pred,
                                          const torch::Tensor& target, const Napi::Object& options) {
  if (kind == "dice" || kind == "iou") {
    const auto metricOptions = overlapMetricOptionsFromJs(options);
    const bool dice = kind == "dice";
    return [=] {
      const auto matched = matchPrediction(pred, target);
      return dice ? diceMetric(pred, matched, metricOptions) : iouMetric(pred, matched, metricOptions);
    };
  }
  if (kind == "maskIoU") return [=] { return maskIoU(pred, target); };
  if (kind == "pixelAccuracy") return [=] { return pixelAccuracy(pred, target); };
  if (kind == "confusionMatrix") {
    const int64_t classes = getInteger(options, "classes", 0);
    if (classes < 1 || classes > 65536) throw std::invalid_argument("classes: expected an integer from 1 to 65536");
    return [=] { return confusionMatrix(pred, target, classes); };
  }
  if (kind == "binarize") {
    const double threshold = getNumber(options, "threshold", 0.5);
    return [=] { return binarize(pred, threshold); };
  }
  if (kind == "argmax") {
    const bool asOneHot = getBool(options, "oneHot", true);
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
    auto worker = std::make_unique<TensorTaskWorker>(info.Env(), "metrics." + kind, nullptr);
    auto pred = worker->Borrow(tensorFromJs(info[1], "pred"));
    torch::Tensor target;
    if (!info[2].IsUndefined() && !info[2].IsNull()) target = worker->Borrow(tensorFromJs(info[2], "target"));
    auto task = metricTask(kind, pred, target, requireObject(info[3], "options"));
    worker->SetTask([task = std::move(task)] {
      torch::NoGradGuard noGrad;
      return task();
    });
    auto promise = worker->Promise();
    worker.release()->Queue();
    return promise;
  });
}

}  // namespace unet::js
