// Segmentation metrics transcribed from MONAI (monai/metrics/meandice.py DiceHelper, meaniou.py compute_iou,
// utils.py do_metric_reduction), plus the seeds' mask IoU, accuracy and confusion matrix helpers.
#include "core/metrics/metrics.h"

#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/options/range.h"
#include "core/options/shape_text.h"

namespace unet {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void requireOverlapShape(const torch::Tensor& pred, const torch::Tensor& target) {
  if (pred.dim() < 3) {
    throw std::invalid_argument("pred: expected N x C x spatial... (at least 3 dimensions), got shape " +
                                shapeText(pred.sizes()));
  }
  requireSameShape(pred, target);
}

void requireClasses(int64_t classes) {
  if (classes < 1) {
    throw std::invalid_argument("classes: expected at least 1, got " + std::to_string(classes));
  }
}

std::vector<int64_t> spatialAxes(int64_t dims) {
  std::vector<int64_t> axes;
  for (int64_t axis = 2; axis < dims; ++axis) axes.push_back(axis);
  return axes;
}

torch::Tensor asFloating(const torch::Tensor& tensor) {
  return tensor.is_floating_point() ? tensor : tensor.to(torch::kFloat);
}

torch::Tensor filled(const torch::Tensor& like, double value) {
  return torch::full({}, value, like.options());
}

// Throws naming `name` and the first entry outside [0, classes) or not whole; returns int64 indices.
torch::Tensor checkedClassIndices(const torch::Tensor& values, int64_t classes, const char* name) {
  requireClasses(classes);
  torch::Tensor indices = values.to(torch::kLong);
  torch::Tensor invalid = (indices < 0) | (indices >= classes);
  if (values.is_floating_point()) invalid = invalid | (values != values.floor());
  if (invalid.any().item<bool>()) {
    std::ostringstream message;
    message << name << ": value " << values.masked_select(invalid)[0].item<double>() << " is not a class index in [0, "
            << classes << ")";
    throw std::invalid_argument(message.str());
  }
  return indices;
}

// NaN-aware mean along `axis` (0 where nothing is valid), from zero-filled values and their valid mask.
std::pair<torch::Tensor, torch::Tensor> meanOfValid(const torch::Tensor& values, const torch::Tensor& valid,
                                                    int64_t axis) {
  torch::Tensor count = valid.sum(axis).to(torch::kFloat);
  torch::Tensor sum = values.sum(axis).to(torch::kFloat);
  return {torch::where(count > 0, sum / count, filled(count, 0.0)), count};
}

const range::Named<MetricReduction> kMetricReductions[] = {{MetricReduction::None, "none"},
                                                           {MetricReduction::Mean, "mean"},
                                                           {MetricReduction::Sum, "sum"},
                                                           {MetricReduction::MeanBatch, "mean_batch"},
                                                           {MetricReduction::SumBatch, "sum_batch"},
                                                           {MetricReduction::MeanChannel, "mean_channel"},
                                                           {MetricReduction::SumChannel, "sum_channel"}};

}  // namespace

const char* metricReductionName(MetricReduction reduction) {
  return range::nameOf(kMetricReductions, reduction);
}

MetricReduction parseMetricReduction(const std::string& name, const std::string& path) {
  return range::parse(kMetricReductions, name, path);
}

void requireSameShape(const torch::Tensor& pred, const torch::Tensor& target) {
  if (pred.sizes() != target.sizes()) {
    throw std::invalid_argument("target: shape " + shapeText(target.sizes()) + " differs from pred shape " +
                                shapeText(pred.sizes()));
  }
}

torch::Tensor matchPrediction(const torch::Tensor& pred, const torch::Tensor& target) {
  const bool indices = !target.is_floating_point() && target.dim() == pred.dim() && target.size(1) == 1;
  if (indices && pred.size(1) > 1) return oneHot(target, pred.size(1));
  return target;
}

torch::Tensor diceMetric(const torch::Tensor& pred, const torch::Tensor& indicesOrOneHot,
                         const OverlapMetricOptions& options) {
  const auto target = matchPrediction(pred, indicesOrOneHot);
  requireOverlapShape(pred, target);
  torch::Tensor predicted;
  torch::Tensor truth;
  if (pred.size(1) == 1) {
    // DiceHelper reads one channel as a label map and scores class 1, whatever includeBackground says
    predicted = pred == 1;
    truth = (target == 1).to(torch::kFloat);
  } else {
    const int64_t first = options.includeBackground ? 0 : 1;
    predicted = pred.slice(1, first) != 0;
    truth = asFloating(target.slice(1, first));
  }
  const auto axes = spatialAxes(pred.dim());
  torch::Tensor truthSum = truth.sum(axes);
  torch::Tensor predictedSum = predicted.sum(axes).to(truth.scalar_type());
  torch::Tensor dice = 2.0 * (truth * predicted).sum(axes) / (truthSum + predictedSum);
  // an empty ground truth gives NaN when ignored, else 1 for an empty prediction and 0 otherwise
  torch::Tensor empty = options.ignoreEmpty
                            ? filled(dice, kNaN)
                            : torch::where(truthSum + predictedSum <= 0, filled(dice, 1.0), filled(dice, 0.0));
  return reduceMetric(torch::where(truthSum > 0, dice, empty), options.reduction);
}

torch::Tensor iouMetric(const torch::Tensor& pred, const torch::Tensor& indicesOrOneHot,
                        const OverlapMetricOptions& options) {
  const auto target = matchPrediction(pred, indicesOrOneHot);
  requireOverlapShape(pred, target);
  // MONAI's ignore_background keeps a single channel
  const int64_t first = options.includeBackground || pred.size(1) == 1 ? 0 : 1;
  torch::Tensor predicted = pred.slice(1, first).to(torch::kFloat);
  torch::Tensor truth = target.slice(1, first).to(torch::kFloat);
  const auto axes = spatialAxes(pred.dim());
  torch::Tensor intersection = (truth * predicted).sum(axes);
  torch::Tensor truthSum = truth.sum(axes);
  torch::Tensor unionSum = truthSum + predicted.sum(axes) - intersection;
  torch::Tensor iou = intersection / unionSum;
  torch::Tensor result = options.ignoreEmpty ? torch::where(truthSum > 0, iou, filled(iou, kNaN))
                                             : torch::where(unionSum > 0, iou, filled(iou, 1.0));
  return reduceMetric(result, options.reduction);
}

torch::Tensor reduceMetric(const torch::Tensor& perImageClass, MetricReduction reduction) {
  if (perImageClass.dim() < 2) {
    throw std::invalid_argument("metric: expected N x C values, got shape " + shapeText(perImageClass.sizes()));
  }
  if (reduction == MetricReduction::None) return perImageClass.clone();
  torch::Tensor valid = ~torch::isnan(perImageClass);
  torch::Tensor values = perImageClass.masked_fill(~valid, 0);  // out of place: the caller's tensor is kept
  switch (reduction) {
    case MetricReduction::Mean: {
      // mean over each image's valid classes, then over the images that had any
      auto [perImage, count] = meanOfValid(values, valid, 1);
      return meanOfValid(perImage, count > 0, 0).first;
    }
    case MetricReduction::Sum: return values.sum(at::IntArrayRef{0, 1});
    case MetricReduction::MeanBatch: return meanOfValid(values, valid, 0).first;
    case MetricReduction::SumBatch: return values.sum(0).to(torch::kFloat);
    case MetricReduction::MeanChannel: return meanOfValid(values, valid, 1).first;
    case MetricReduction::SumChannel: return values.sum(1).to(torch::kFloat);
    case MetricReduction::None: break;
  }
  throw std::invalid_argument("reduction: unknown value");
}

torch::Tensor maskIoU(const torch::Tensor& pred, const torch::Tensor& target) {
  const bool sameImages =
      pred.dim() >= 1 && target.dim() >= 1 && pred.size(0) == target.size(0) && pred.numel() == target.numel();
  if (!sameImages) {
    throw std::invalid_argument("target: shape " + shapeText(target.sizes()) + " does not match pred shape " +
                                shapeText(pred.sizes()) + " (expected N x 1 x H x W or N x H x W for both)");
  }
  const int64_t images = pred.size(0);
  torch::Tensor predicted = (pred != 0).reshape({images, -1}).to(torch::kFloat);
  torch::Tensor truth = (target != 0).reshape({images, -1}).to(torch::kFloat);
  torch::Tensor intersection = (predicted * truth).sum(1);
  return intersection / (predicted.sum(1) + truth.sum(1) - intersection + 1e-5);
}

torch::Tensor pixelAccuracy(const torch::Tensor& pred, const torch::Tensor& target) {
  requireSameShape(pred, target);
  return pred.eq(target).to(torch::kFloat).mean();
}

torch::Tensor confusionMatrix(const torch::Tensor& pred, const torch::Tensor& target, int64_t classes) {
  range::integer("classes", classes, 1, 65536);
  requireSameShape(pred, target);
  torch::Tensor predicted = checkedClassIndices(pred, classes, "pred");
  torch::Tensor truth = checkedClassIndices(target, classes, "target");
  torch::Tensor cells = (truth * classes + predicted).flatten();
  return torch::bincount(cells, {}, classes * classes).reshape({classes, classes});
}

void BinarizeOptions::validate(const std::string& path) const {
  range::probability(path + ".threshold", threshold);
}

torch::Tensor binarize(const torch::Tensor& logits, double threshold) {
  const auto dtype = logits.is_floating_point() ? logits.scalar_type() : torch::kFloat;
  return (torch::sigmoid(logits) >= threshold).to(dtype);
}

torch::Tensor argmaxIndices(const torch::Tensor& logits) {
  if (logits.dim() < 2) {
    throw std::invalid_argument("logits: expected N x C x [spatial...], got shape " + shapeText(logits.sizes()));
  }
  return logits.argmax(1, /*keepdim=*/true);
}

torch::Tensor argmax(const torch::Tensor& logits, const ArgmaxOptions& options) {
  const auto indices = argmaxIndices(logits);
  return options.oneHot ? oneHot(indices, logits.size(1)) : indices;
}

torch::Tensor oneHot(const torch::Tensor& indices, int64_t classes) {
  if (indices.dim() < 2 || indices.size(1) != 1) {
    throw std::invalid_argument("indices: expected N x 1 x [spatial...] class indices, got shape " +
                                shapeText(indices.sizes()));
  }
  requireClasses(classes);
  // like MONAI's one_hot, fractional values are truncated by .long(); only the range is checked
  torch::Tensor labels = indices.to(torch::kLong);
  torch::Tensor invalid = (labels < 0) | (labels >= classes);
  if (invalid.any().item<bool>()) {
    std::ostringstream message;
    message << "indices: value " << indices.masked_select(invalid)[0].item<double>() << " is outside [0, " << classes
            << ") for " << classes << " classes";
    throw std::invalid_argument(message.str());
  }
  std::vector<int64_t> shape(indices.sizes().begin(), indices.sizes().end());
  shape[1] = classes;
  return torch::zeros(shape, indices.options().dtype(torch::kFloat)).scatter_(1, labels, 1.0);
}

}  // namespace unet
