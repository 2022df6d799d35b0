#include "addon/metrics_binding.h"

#include "addon/job.h"
#include "addon/js_values.h"
#include "addon/option_reader.h"
#include "addon/options.h"
#include "core/metrics/distance_transform.h"
#include "core/metrics/metrics.h"

namespace unet::js {

namespace {

std::function<torch::Tensor()> metricTask(const std::string& kind, const torch::Tensor& pred,
                                          const torch::Tensor& target, const Napi::Value& options) {
  if (kind == "hausdorff") {
    const auto hausdorffOptions = hausdorffOptionsFromJs(options);
    return [=] { return hausdorff(pred, target, hausdorffOptions); };
  }
  if (kind == "surfaceDistance") {
    const auto surface = surfaceDistanceOptionsFromJs(options);
    return [=] { return surfaceDistance(pred, target, surface); };
  }
  if (kind == "surfaceDice") {
    const auto surface = surfaceDiceOptionsFromJs(options);
    return [=] { return surfaceDice(pred, target, surface); };
  }
  if (kind == "dice" || kind == "iou") {
    const auto metricOptions = overlapMetricOptionsFromJs(options);
    const bool dice = kind == "dice";
    return [=] { return dice ? diceMetric(pred, target, metricOptions) : iouMetric(pred, target, metricOptions); };
  }
  OptionReader reader(options, "options");
  std::function<torch::Tensor()> task;
  if (kind == "maskIoU") {
    task = [=] { return maskIoU(pred, target); };
  } else if (kind == "pixelAccuracy") {
    task = [=] { return pixelAccuracy(pred, target); };
  } else if (kind == "confusionMatrix") {
    int64_t classes = 0;
    reader.read("classes", classes);
    task = [=] { return confusionMatrix(pred, target, classes); };
  } else if (kind == "binarize") {
    BinarizeOptions binarizeOptions;
    reader.read("threshold", binarizeOptions.threshold);
    binarizeOptions.validate();
    task = [=] { return binarize(pred, binarizeOptions.threshold); };
  } else if (kind == "argmax") {
    ArgmaxOptions argmaxOptions;
    reader.read("oneHot", argmaxOptions.oneHot);
    task = [=] { return argmax(pred, argmaxOptions); };
  } else if (kind == "distanceTransform") {
    std::string metricName = distanceMetricName(DistanceMetric::Euclidean);
    std::vector<double> spacing;
    reader.read("distanceMetric", metricName);
    reader.read("spacing", spacing);
    const auto metric = parseDistanceMetric(metricName, reader.path("distanceMetric"));
    task = [=] { return distanceTransform(pred, metric, spacing); };
  } else {
    throw std::invalid_argument("metric: unknown kind '" + kind + "'");
  }
  reader.finish();
  return task;
}

}  // namespace

Napi::Value ComputeMetric(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const std::string kind = requireString(info[0], "metric");
    auto task = tensorTask(info.Env(), "metrics." + kind);
    auto pred = task->Borrow(tensorFromJs(info[1], "pred"));
    torch::Tensor target;
    if (!info[2].IsUndefined() && !info[2].IsNull()) target = task->Borrow(tensorFromJs(info[2], "target"));
    auto metric = metricTask(kind, pred, target, info[3]);
    task->SetWork([metric = std::move(metric)] {
      torch::NoGradGuard noGrad;
      return metric();
    });
    return task.release()->Queue();
  });
}

}  // namespace unet::js
