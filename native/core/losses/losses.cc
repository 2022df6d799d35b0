// Segmentation losses transcribed from MONAI (monai/losses/dice.py, focal_loss.py, tversky.py, utils.py).
// Each step follows MONAI's order so that the numbers match its own unit tests.
#include "core/losses/losses.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "core/metrics/metrics.h"
#include "core/options/range.h"
#include "core/options/shape_text.h"

namespace unet {

namespace {

std::string numberText(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void requireChannels(const torch::Tensor& input, const char* name) {
  if (input.dim() < 2) {
    throw std::invalid_argument(std::string(name) + ": expected N x C x [spatial...], got shape " +
                                shapeText(input.sizes()));
  }
}

// Compares the tensors as prepared, but names the shapes the caller passed.
void requirePreparedShapes(const torch::Tensor& prepared, const torch::Tensor& preparedTarget,
                           const torch::Tensor& input, const torch::Tensor& target) {
  if (prepared.sizes() != preparedTarget.sizes()) {
    throw std::invalid_argument("target: expected the input's shape " + shapeText(input.sizes()) +
                                " (or N x 1 x [spatial...] class indices with toOnehotY), got " +
                                shapeText(target.sizes()));
  }
}

int64_t reductionCode(Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return at::Reduction::Mean;
    case Reduction::Sum: return at::Reduction::Sum;
    case Reduction::None: return at::Reduction::None;
  }
  throw std::invalid_argument("reduction: unknown value");
}

torch::Tensor reduceLoss(const torch::Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return loss.mean();
    case Reduction::Sum: return loss.sum();
    case Reduction::None: return loss;
  }
  throw std::invalid_argument("reduction: unknown value");
}

// Spatial axes, plus the batch axis when `batch` (MONAI's reduce_axis).
std::vector<int64_t> overlapAxes(int64_t dims, bool batch) {
  std::vector<int64_t> axes;
  if (batch) axes.push_back(0);
  for (int64_t axis = 2; axis < dims; ++axis) axes.push_back(axis);
  return axes;
}

// MONAI's per-class weight check: one value for all classes, or one per class (after background removal).
torch::Tensor classWeights(const std::vector<double>& weight, int64_t classes, const torch::Tensor& like) {
  if (weight.size() != 1 && static_cast<int64_t>(weight.size()) != classes) {
    throw std::invalid_argument("weight: expected " + std::to_string(classes) +
                                " values (one per class after background removal), got " +
                                std::to_string(weight.size()));
  }
  for (double value : weight) {
    if (value < 0) throw std::invalid_argument("weight: values must be >= 0, got " + numberText(value));
  }
  if (weight.size() == 1) return torch::full({classes}, weight[0], like.options());
  return torch::tensor(weight, like.options());
}

struct OverlapInputs {
  torch::Tensor input;
  torch::Tensor target;
};

// Activation, one-hot target and background removal in MONAI's order; single-channel inputs ignore
// softmax, toOnehotY and includeBackground=false (MONAI only warns).
OverlapInputs prepareOverlap(const torch::Tensor& input, const torch::Tensor& target, bool sigmoid, bool softmax,
                             bool toOnehotY, bool includeBackground) {
  if (sigmoid && softmax) throw std::invalid_argument("sigmoid, softmax: at most one of them may be true");
  requireChannels(input, "input");
  torch::Tensor activated = sigmoid ? torch::sigmoid(input) : input;
  torch::Tensor truth = target;
  const int64_t channels = activated.size(1);
  if (channels > 1) {
    if (softmax) activated = torch::softmax(activated, 1);
    if (toOnehotY) truth = oneHot(truth, channels);
    if (!includeBackground) {
      activated = activated.slice(1, 1);
      truth = truth.slice(1, 1);
    }
  }
  requirePreparedShapes(activated, truth, input, target);
  return {activated, truth};
}

using Counts = std::tuple<torch::Tensor, torch::Tensor, torch::Tensor>;

// MONAI's compute_tp_fp_fn with soft_label=False and decoupled=True (the Dice and Jaccard form).
Counts diceCounts(const torch::Tensor& input, const torch::Tensor& target, const std::vector<int64_t>& axes,
                  bool squared) {
  if (!squared) {
    torch::Tensor truePositive = torch::sum(input * target, axes);
    return {truePositive, torch::sum(input, axes) - truePositive, torch::sum(target, axes) - truePositive};
  }
  torch::Tensor predicted = torch::linalg::vector_norm(input, 2, axes, false, c10::nullopt).pow(2);
  torch::Tensor truth = torch::linalg::vector_norm(target, 2, axes, false, c10::nullopt).pow(2);
  torch::Tensor difference = torch::linalg::vector_norm(input - target, 2, axes, false, c10::nullopt).pow(2);
  torch::Tensor truePositive = (predicted + truth - difference) / 2;
  return {truePositive, predicted - truePositive, truth - truePositive};
}

torch::Tensor sigmoidFocal(const torch::Tensor& input, const torch::Tensor& target, double gamma,
                           const std::optional<double>& alpha) {
  torch::Tensor loss = input - input * target - torch::log_sigmoid(input);
  // log(1 - p_t), computed without overflow
  torch::Tensor logInverseProbability = torch::log_sigmoid(-input * (target * 2 - 1));
  loss = (logInverseProbability * gamma).exp() * loss;
  if (alpha) loss = (target * *alpha + (1 - target) * (1 - *alpha)) * loss;
  return loss;
}

// Per-channel values shaped (C, 1, ...) to broadcast over a tensor of `dims` dimensions laid out N x C x ....
torch::Tensor channelColumn(const torch::Tensor& values, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(std::max<int64_t>(dims - 1, 1)), 1);
  shape[0] = -1;
  return values.view(shape);
}

torch::Tensor softmaxFocal(const torch::Tensor& input, const torch::Tensor& target, double gamma,
                           const std::optional<double>& alpha) {
  torch::Tensor logProbability = input.log_softmax(1);
  torch::Tensor loss = -(1 - logProbability.exp()).pow(gamma) * logProbability * target;
  if (alpha) {
    // 1 - alpha for the background class, alpha for the others
    std::vector<double> factors(static_cast<size_t>(target.size(1)), *alpha);
    factors[0] = 1 - *alpha;
    loss = channelColumn(torch::tensor(factors, loss.options()), target.dim()) * loss;
  }
  return loss;
}

}  // namespace

namespace {

const range::Named<Reduction> kReductions[] = {
    {Reduction::Mean, "mean"}, {Reduction::Sum, "sum"}, {Reduction::None, "none"}};

}  // namespace

Reduction parseReduction(const std::string& name, const std::string& path) {
  return range::parse(kReductions, name, path);
}

const char* reductionName(Reduction reduction) {
  return range::nameOf(kReductions, reduction);
}

torch::Tensor diceLoss(const torch::Tensor& input, const torch::Tensor& target, const DiceOptions& options) {
  auto [activated, truth] =
      prepareOverlap(input, target, options.sigmoid, options.softmax, options.toOnehotY, options.includeBackground);
  const auto axes = overlapAxes(activated.dim(), options.batch);
  auto [truePositive, falsePositive, falseNegative] = diceCounts(activated, truth, axes, options.squaredPred);
  if (!options.jaccard) {
    falsePositive = falsePositive * 0.5;
    falseNegative = falseNegative * 0.5;
  }
  torch::Tensor numerator = 2 * truePositive + options.smoothNr;
  torch::Tensor denominator = 2 * (truePositive + falsePositive + falseNegative) + options.smoothDr;
  torch::Tensor loss = 1 - numerator / denominator;

  const int64_t classes = truth.size(1);
  // MONAI skips the weight (and its checks) when a single class remains
  if (!options.weight.empty() && classes != 1) loss = loss * classWeights(options.weight, classes, loss);

  if (options.reduction != Reduction::None) return reduceLoss(loss, options.reduction);
  // keep a shape that broadcasts against the input: (N, C, 1, ...) or (C, 1, ...) with batch
  std::vector<int64_t> shape(loss.sizes().begin(), loss.sizes().begin() + std::min<int64_t>(loss.dim(), 2));
  shape.resize(shape.size() + static_cast<size_t>(activated.dim() - 2), 1);
  return loss.view(shape);
}

torch::Tensor diceCeLoss(const torch::Tensor& input, const torch::Tensor& target, const DiceCeOptions& options) {
  const Reduction reduction = options.dice.reduction;
  if (reduction == Reduction::None) {
    throw std::invalid_argument("reduction: diceCe accepts \"mean\" or \"sum\" (MONAI's DiceCELoss has no \"none\")");
  }
  if (options.lambdaDice < 0) throw std::invalid_argument("lambdaDice: must be >= 0");
  if (options.lambdaCe < 0) throw std::invalid_argument("lambdaCe: must be >= 0");
  requireChannels(input, "input");
  if (input.dim() != target.dim()) {
    throw std::invalid_argument("target: expected as many dimensions as input " + shapeText(input.sizes()) +
                                " (use N x 1 x [spatial...] for class indices), got " + shapeText(target.sizes()));
  }
  if (target.size(1) != 1 && target.size(1) != input.size(1)) {
    throw std::invalid_argument("target: expected 1 or " + std::to_string(input.size(1)) + " channels, got shape " +
                                shapeText(target.sizes()));
  }
  torch::Tensor dice = diceLoss(input, target, options.dice);
  // one channel: BCE with logits, ceWeight as pos_weight; else cross entropy with ceWeight as class weights
  torch::Tensor crossEntropy =
      input.size(1) == 1
          ? bceLoss(input, target, BceOptions{options.ceWeight, reduction})
          : crossEntropyLoss(input, target,
                             CrossEntropyOptions{options.ceWeight, -100, options.labelSmoothing, reduction});
  return options.lambdaDice * dice + options.lambdaCe * crossEntropy;
}

torch::Tensor bceLoss(const torch::Tensor& logits, const torch::Tensor& target, const BceOptions& options) {
  if (logits.sizes() != target.sizes()) {
    throw std::invalid_argument("target: expected the logits' shape " + shapeText(logits.sizes()) + ", got " +
                                shapeText(target.sizes()));
  }
  torch::Tensor probability = target.is_floating_point() ? target : target.to(logits.scalar_type());
  c10::optional<torch::Tensor> positiveWeight;
  if (!options.posWeight.empty()) {
    const int64_t channels = logits.dim() >= 2 ? logits.size(1) : 1;
    const auto count = static_cast<int64_t>(options.posWeight.size());
    if (count != 1 && count != channels) {
      throw std::invalid_argument("posWeight: expected 1 or " + std::to_string(channels) +
                                  " values (one per channel), got " + std::to_string(count));
    }
    torch::Tensor values = torch::tensor(options.posWeight, logits.options());
    positiveWeight = count == 1 ? values : channelColumn(values, logits.dim());
  }
  return torch::binary_cross_entropy_with_logits(logits, probability, c10::nullopt, positiveWeight,
                                                 reductionCode(options.reduction));
}

torch::Tensor crossEntropyLoss(const torch::Tensor& logits, const torch::Tensor& target,
                               const CrossEntropyOptions& options) {
  requireChannels(logits, "logits");
  const int64_t classes = logits.size(1);
  torch::Tensor labels;
  if (target.dim() == logits.dim() - 1) {
    labels = target.to(torch::kLong);
  } else if (target.dim() == logits.dim() && target.size(1) == 1 && classes != 1) {
    labels = target.squeeze(1).to(torch::kLong);
  } else if (target.sizes() == logits.sizes()) {
    labels = target.is_floating_point() ? target : target.to(logits.scalar_type());
  } else {
    throw std::invalid_argument(
        "target: expected class indices N x [spatial...] or N x 1 x [spatial...], or "
        "probabilities of the logits' shape " +
        shapeText(logits.sizes()) + ", got " + shapeText(target.sizes()));
  }
  c10::optional<torch::Tensor> weight;
  if (!options.weight.empty()) {
    if (static_cast<int64_t>(options.weight.size()) != classes) {
      throw std::invalid_argument("weight: expected " + std::to_string(classes) + " values (one per class), got " +
                                  std::to_string(options.weight.size()));
    }
    weight = torch::tensor(options.weight, logits.options());
  }
  if (options.labelSmoothing < 0 || options.labelSmoothing > 1) {
    throw std::invalid_argument("labelSmoothing: expected a value in [0, 1], got " +
                                numberText(options.labelSmoothing));
  }
  return at::cross_entropy_loss(logits, labels, weight, reductionCode(options.reduction), options.ignoreIndex,
                                options.labelSmoothing);
}

torch::Tensor focalLoss(const torch::Tensor& input, const torch::Tensor& target, const FocalOptions& options) {
  requireChannels(input, "input");
  torch::Tensor logits = input;
  torch::Tensor truth = target;
  const int64_t channels = logits.size(1);
  if (channels > 1) {
    if (options.toOnehotY) truth = oneHot(truth, channels);
    if (!options.includeBackground) {
      logits = logits.slice(1, 1);
      truth = truth.slice(1, 1);
    }
  }
  requirePreparedShapes(logits, truth, input, target);
  // MONAI computes the focal loss in float32
  logits = logits.to(torch::kFloat);
  truth = truth.to(torch::kFloat);

  torch::Tensor loss;
  if (options.useSoftmax) {
    // MONAI drops alpha when the background is excluded, as 1 - alpha belongs to the background
    std::optional<double> alpha;
    if (options.includeBackground) alpha = options.alpha;
    loss = softmaxFocal(logits, truth, options.gamma, alpha);
  } else {
    loss = sigmoidFocal(logits, truth, options.gamma, options.alpha);
  }

  const int64_t classes = truth.size(1);
  if (!options.weight.empty() && classes != 1) {
    loss = channelColumn(classWeights(options.weight, classes, loss), truth.dim()) * loss;
  }

  if (options.reduction == Reduction::Sum) {
    // MONAI keeps an old behaviour here: average the spatial dims, then sum over batch and classes
    return loss.mean(overlapAxes(truth.dim(), false)).sum();
  }
  return reduceLoss(loss, options.reduction);
}

torch::Tensor tverskyLoss(const torch::Tensor& input, const torch::Tensor& target, const TverskyOptions& options) {
  auto [activated, truth] =
      prepareOverlap(input, target, options.sigmoid, options.softmax, options.toOnehotY, options.includeBackground);
  const auto axes = overlapAxes(activated.dim(), options.batch);
  // compute_tp_fp_fn with decoupled=False: the original Tversky counts
  torch::Tensor truePositive = torch::sum(activated * truth, axes);
  torch::Tensor falsePositive = options.alpha * torch::sum(activated * (1 - truth), axes);
  torch::Tensor falseNegative = options.beta * torch::sum((1 - activated) * truth, axes);
  torch::Tensor numerator = truePositive + options.smoothNr;
  torch::Tensor denominator = truePositive + falsePositive + falseNegative + options.smoothDr;
  return reduceLoss(1.0 - numerator / denominator, options.reduction);
}

}  // namespace unet
