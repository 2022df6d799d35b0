#include "core/training/evaluate.h"

#include <cmath>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/options/range.h"
#include "core/runtime/autocast.h"

namespace unet {

namespace {

// Binarised (one class) or one-hot (more) predictions, as the overlap metrics take them.
torch::Tensor discretize(const torch::Tensor& logits) {
  if (logits.size(1) == 1) return binarize(logits, 0.5);
  return oneHot(argmaxIndices(logits), logits.size(1));
}

torch::Tensor asOneHotTarget(const torch::Tensor& masks, int64_t classes) {
  return classes == 1 ? masks : oneHot(masks, classes);
}

}  // namespace

void EvaluateOptions::validate(const std::string& path) const {
  range::integer(path + ".batchSize", batchSize, 1, 1000000);
}

Evaluation evaluate(UNet& model, const torch::Tensor& images, const torch::Tensor& masks, const LossSpec& loss,
                    int64_t batchSize, Precision precision) {
  torch::NoGradGuard noGrad;
  model->eval();
  const int64_t classes = model->options().classes;
  // Background is left out of the scores for several classes (it would dominate them), kept for one.
  OverlapMetricOptions metric;
  metric.includeBackground = classes == 1;
  metric.reduction = MetricReduction::None;
  double lossSum = 0;
  std::vector<torch::Tensor> dice, iou;
  for (int64_t start = 0; start < images.size(0); start += batchSize) {
    const auto x = images.slice(0, start, start + batchSize), y = masks.slice(0, start, start + batchSize);
    torch::Tensor logits;
    {
      Autocast autocast(x.device(), precision);
      logits = model->forward(x).to(torch::kFloat32);
    }
    lossSum += computeLoss(loss, logits, y).item<double>() * static_cast<double>(x.size(0));
    const auto predicted = discretize(logits), truth = asOneHotTarget(y, classes);
    dice.push_back(diceMetric(predicted, truth, metric));
    iou.push_back(iouMetric(predicted, truth, metric));
  }
  // MONAI's mean: over the classes present in each image, then over the images that have any; NaN (not
  // MONAI's 0) when no image has any, so an undefined score is not mistaken for a bad one.
  const auto meanOf = [](const std::vector<torch::Tensor>& parts) {
    const auto scores = torch::cat(parts);
    if (torch::isnan(scores).all().item<bool>()) return std::nan("");
    return reduceMetric(scores, MetricReduction::Mean).item<double>();
  };
  return {lossSum / static_cast<double>(images.size(0)), meanOf(dice), meanOf(iou)};
}

}  // namespace unet
