// Segmentation losses with MONAI's semantics (monai/losses): same options, same defaults, same numbers.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace unet {

enum class Reduction { Mean, Sum, None };

Reduction parseReduction(const std::string& name, const std::string& path = "reduction");  // "mean" | "sum" | "none"
const char* reductionName(Reduction reduction);

// Inputs are NC[spatial...] logits or probabilities; targets are the same shape (one-hot or
// probabilities) or N1[spatial...] class indices (with toOnehotY, or for the CE terms).

// monai.losses.DiceLoss
struct DiceOptions {
  bool includeBackground = true;
  bool toOnehotY = false;
  bool sigmoid = false;
  bool softmax = false;
  bool squaredPred = false;
  bool jaccard = false;
  Reduction reduction = Reduction::Mean;
  double smoothNr = 1e-5;
  double smoothDr = 1e-5;
  bool batch = false;
  std::vector<double> weight;  // empty = none; one value = every class; else one per class
};
torch::Tensor diceLoss(const torch::Tensor& input, const torch::Tensor& target, const DiceOptions& options);

// monai.losses.DiceCELoss: lambdaDice * Dice + lambdaCe * CE, where CE is BCE with logits for one channel.
struct DiceCeOptions {
  DiceOptions dice;
  double lambdaDice = 1.0;
  double lambdaCe = 1.0;
  std::vector<double> ceWeight;  // CrossEntropy class weights, or BCE pos_weight for one channel
  double labelSmoothing = 0.0;
};
torch::Tensor diceCeLoss(const torch::Tensor& input, const torch::Tensor& target, const DiceCeOptions& options);

// torch.nn.BCEWithLogitsLoss
struct BceOptions {
  std::vector<double> posWeight;  // empty = none; else one per channel (or one for all)
  Reduction reduction = Reduction::Mean;
};
torch::Tensor bceLoss(const torch::Tensor& logits, const torch::Tensor& target, const BceOptions& options);

// torch.nn.CrossEntropyLoss; target is N1HW / NHW class indices or NCHW class probabilities.
struct CrossEntropyOptions {
  std::vector<double> weight;
  int64_t ignoreIndex = -100;
  double labelSmoothing = 0.0;
  Reduction reduction = Reduction::Mean;
};
torch::Tensor crossEntropyLoss(const torch::Tensor& logits, const torch::Tensor& target,
                               const CrossEntropyOptions& options);

// monai.losses.FocalLoss
struct FocalOptions {
  bool includeBackground = true;
  bool toOnehotY = false;
  double gamma = 2.0;
  std::optional<double> alpha;
  std::vector<double> weight;
  bool useSoftmax = false;
  Reduction reduction = Reduction::Mean;
};
torch::Tensor focalLoss(const torch::Tensor& input, const torch::Tensor& target, const FocalOptions& options);

// monai.losses.TverskyLoss
struct TverskyOptions {
  bool includeBackground = true;
  bool toOnehotY = false;
  bool sigmoid = false;
  bool softmax = false;
  double alpha = 0.5;
  double beta = 0.5;
  Reduction reduction = Reduction::Mean;
  double smoothNr = 1e-5;
  double smoothDr = 1e-5;
  bool batch = false;
};
torch::Tensor tverskyLoss(const torch::Tensor& input, const torch::Tensor& target, const TverskyOptions& options);

}  // namespace unet
