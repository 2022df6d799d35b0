// Loss and overlap scores of a model on data in eval mode: fit's validation and model.evaluate.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "core/losses/loss_spec.h"
#include "core/model/unet.h"
#include "core/runtime/precision.h"

namespace unet {

// Loss and mean per-image Dice and IoU. Masks as prepareMasks returns them. Dice and IoU leave the background
// out for several classes (it would dominate them) and keep it for one; images whose truth is empty for every
// scored class do not count (MONAI's ignore_empty).
struct EvaluateOptions {
  std::optional<LossSpec> loss;             // none: defaultLoss(classes)
  int64_t batchSize = 8;                    // images a forward pass
  Precision precision = kDefaultPrecision;  // of the forward passes (the module's, under autocast); losses in fp32

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

struct Evaluation {
  double loss, dice, iou;
};

// What the means are made of, so that shares of the data evaluated apart (one per rank) combine into the scores of
// the whole: the loss summed over images, and Dice and IoU per image and scored class (NaN where undefined).
struct EvaluationParts {
  double lossSum = 0;
  int64_t images = 0;
  torch::Tensor dice, iou;  // images x scored classes, float32
};

EvaluationParts evaluateParts(UNet& model, const torch::Tensor& images, const torch::Tensor& masks,
                              const LossSpec& loss, int64_t batchSize, Precision precision);  // precision resolved
Evaluation summarize(const EvaluationParts& parts);

inline Evaluation evaluate(UNet& model, const torch::Tensor& images, const torch::Tensor& masks, const LossSpec& loss,
                           int64_t batchSize, Precision precision) {
  return summarize(evaluateParts(model, images, masks, loss, batchSize, precision));
}

}  // namespace unet
