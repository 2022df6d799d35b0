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

EvaluationParts evaluateParts(UNet& model, const torch::Tensor& images, const torch::Tensor& masks,
                              const LossSpec& loss, int64_t batchSize, Precision precision) {
  torch::NoGradGuard noGrad;
  model->eval();
  const int64_t classes = model->options().classes;
  // Background is left out of the scores for several classes (it would dominate them), kept for one.
  OverlapMetricOptions metric;
  metric.includeBackground = classes == 1;
  metric.reduction = MetricReduction::None;
  EvaluationParts parts;
  std::vector<torch::Tensor> dice, iou;
  for (int64_t start = 0; start < images.size(0); start += batchSize) {
    const auto x = images.slice(0, start, start + batchSize), y = masks.slice(0, start, start + batchSize);
    torch::Tensor logits;
    {
      Autocast autocast(x.device(), precision);
      logits = model->forward(x).to(torch::kFloat32);
    }
    parts.lossSum += computeLoss(loss, logits, y).item<double>() * static_cast<double>(x.size(0));
    const auto predicted = discretize(logits), truth = asOneHotTarget(y, classes);
    dice.push_back(diceMetric(predicted, truth, metric).to(torch::kCPU, torch::kFloat32));
    iou.push_back(iouMetric(predicted, truth, metric).to(torch::kCPU, torch::kFloat32));
  }
  parts.images = images.size(0);
  const int64_t scored = classes == 1 ? 1 : classes - 1;
  parts.dice = dice.empty() ? torch::empty({0, scored}) : torch::cat(dice);
  parts.iou = iou.empty() ? torch::empty({0, scored}) : torch::cat(iou);
  return parts;
}

Evaluation summarize(const EvaluationParts& parts) {
  // MONAI's mean: over the classes present in each image, then over the images that have any; NaN (not
  // MONAI's 0) when no image has any, so an undefined score is not mistaken for a bad one.
  const auto meanOf = [](const torch::Tensor& scores) {
    if (scores.numel() == 0 || torch::isnan(scores).all().item<bool>()) return std::nan("");
    return reduceMetric(scores, MetricReduction::Mean).item<double>();
  };
  const double loss = parts.images > 0 ? parts.lossSum / static_cast<double>(parts.images) : std::nan("");
  return {loss, meanOf(parts.dice), meanOf(parts.iou)};
}

}  // namespace unet
