// Segmentation metrics with MONAI's semantics (monai/metrics: DiceMetric, MeanIoU, do_metric_reduction)
// plus the seeds' MaskIoU.
#pragma once

#include <torch/torch.h>

#include <string>

namespace unet {

enum class MetricReduction { None, Mean, Sum, MeanBatch, SumBatch, MeanChannel, SumChannel };

// "none" | "mean" | "sum" | "mean_batch" | "sum_batch" | "mean_channel" | "sum_channel"
MetricReduction parseMetricReduction(const std::string& name, const std::string& path = "reduction");
const char* metricReductionName(MetricReduction reduction);

struct OverlapMetricOptions {
  bool includeBackground = true;
  bool ignoreEmpty = true;  // an empty ground truth gives NaN, which reductions skip
  MetricReduction reduction = MetricReduction::Mean;
};

// Throws naming target and both shapes when they differ.
void requireSameShape(const torch::Tensor& pred, const torch::Tensor& target);

// Class-index targets (N1[spatial...], integer) are one-hot encoded to a multi-channel prediction's channels, so
// callers can pass label maps as they are; other targets are returned unchanged.
torch::Tensor matchPrediction(const torch::Tensor& pred, const torch::Tensor& target);

// pred: binarised or one-hot NC[spatial...]; target: the same shape, or class indices N1[spatial...] (one-hot
// encoded to pred's channels when it has several).
torch::Tensor diceMetric(const torch::Tensor& pred, const torch::Tensor& target, const OverlapMetricOptions& options);
torch::Tensor iouMetric(const torch::Tensor& pred, const torch::Tensor& target, const OverlapMetricOptions& options);

// MONAI's do_metric_reduction: NaN entries are skipped; a mean over nothing is 0.
torch::Tensor reduceMetric(const torch::Tensor& perImageClass, MetricReduction reduction);

// intersection / (area1 + area2 - intersection + 1e-5) for each image; masks N1HW or NHW, nonzero = foreground.
torch::Tensor maskIoU(const torch::Tensor& pred, const torch::Tensor& target);

// Fraction of equal pixels between two class-index (or binary) maps of the same shape; a 0-d tensor.
torch::Tensor pixelAccuracy(const torch::Tensor& pred, const torch::Tensor& target);

// classes x classes int64 counts: row = target class, column = predicted class; classes from 1 to 65536.
torch::Tensor confusionMatrix(const torch::Tensor& pred, const torch::Tensor& target, int64_t classes);

// sigmoid(logits) >= threshold, as float 0/1 of the same shape.
struct BinarizeOptions {
  double threshold = 0.5;

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};
torch::Tensor binarize(const torch::Tensor& logits, double threshold);

// metrics.argmax's result: one-hot (the form dice and iou take), or class indices.
struct ArgmaxOptions {
  bool oneHot = true;
};
torch::Tensor argmax(const torch::Tensor& logits, const ArgmaxOptions& options);

// Class indices N1[spatial...] (int64) of the channel with the largest logit.
torch::Tensor argmaxIndices(const torch::Tensor& logits);

// One-hot NC[spatial...] float from class indices N1[spatial...]; values must lie in [0, classes).
torch::Tensor oneHot(const torch::Tensor& indices, int64_t classes);

}  // namespace unet
