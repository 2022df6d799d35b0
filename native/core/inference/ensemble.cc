#include "core/inference/ensemble.h"

#include <stdexcept>
#include <string>

#include "core/options/shape_text.h"

namespace unet {

torch::Tensor combinePredictions(const std::vector<torch::Tensor>& probabilities, const PredictOptions& options) {
  options.validate();
  if (options.output == PredictOutput::Logits) {
    throw std::invalid_argument(
        "options.output: an ensemble averages probabilities: expected 'mask' or 'probabilities'");
  }
  if (probabilities.empty()) throw std::invalid_argument("probabilities: expected one tensor per model, got none");
  const auto& first = probabilities.front();
  if (first.dim() != 4) {
    throw std::invalid_argument("probabilities[0]: expected N x C x H x W, got shape " + shapeText(first.sizes()));
  }
  torch::NoGradGuard noGrad;
  auto sum = first.to(torch::kFloat32).clone();
  for (size_t m = 1; m < probabilities.size(); ++m) {
    if (probabilities[m].sizes() != first.sizes()) {
      throw std::invalid_argument("probabilities[" + std::to_string(m) + "]: shape " +
                                  shapeText(probabilities[m].sizes()) + " differs from probabilities[0]'s " +
                                  shapeText(first.sizes()));
    }
    sum.add_(probabilities[m].to(sum.device(), torch::kFloat32));
  }
  const auto mean = sum.div_(double(probabilities.size()));
  return options.output == PredictOutput::Mask ? maskOf(mean, options) : mean;
}

}  // namespace unet
