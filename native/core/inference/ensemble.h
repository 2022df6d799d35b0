// Ensembles: several models' predictions for the same images averaged in probability, as MONAI's MeanEnsemble and
// nnU-Net's fold ensembles do, then turned into the mask predict would make of them.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/inference/predict.h"

namespace unet {

// probabilities: one N x C x H x W tensor per model (softmax or sigmoid, the same shape). Returns their mean for
// output 'probabilities', its mask (options.threshold for one channel) for 'mask'; 'logits' is refused, since
// means of logits are not what the models' probabilities average to.
torch::Tensor combinePredictions(const std::vector<torch::Tensor>& probabilities, const PredictOptions& options);

}  // namespace unet
