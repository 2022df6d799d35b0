#include "core/losses/loss_spec.h"

#include <type_traits>

namespace unet {

namespace {

torch::Tensor lossOf(const DiceOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return diceLoss(input, target, o);
}
torch::Tensor lossOf(const DiceCeOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return diceCeLoss(input, target, o);
}
torch::Tensor lossOf(const BceOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return bceLoss(input, target, o);
}
torch::Tensor lossOf(const CrossEntropyOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return crossEntropyLoss(input, target, o);
}
torch::Tensor lossOf(const FocalOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return focalLoss(input, target, o);
}
torch::Tensor lossOf(const TverskyOptions& o, const torch::Tensor& input, const torch::Tensor& target) {
  return tverskyLoss(input, target, o);
}

}  // namespace

torch::Tensor computeLoss(const LossSpec& spec, const torch::Tensor& input, const torch::Tensor& target) {
  return std::visit([&](const auto& options) { return lossOf(options, input, target); }, spec);
}

void requireScalarLoss(const LossSpec& spec) {
  const auto reduction = std::visit(
      [](const auto& options) {
        if constexpr (std::is_same_v<std::decay_t<decltype(options)>, DiceCeOptions>) {
          return options.dice.reduction;
        } else {
          return options.reduction;
        }
      },
      spec);
  if (reduction == Reduction::None)
    throw std::invalid_argument("loss.reduction: expected 'mean' or 'sum' for training");
}

DiceCeOptions defaultLoss(int64_t classes) {
  DiceCeOptions loss;
  if (classes == 1) {
    loss.dice.sigmoid = true;
  } else {
    loss.dice.softmax = true;
    loss.dice.toOnehotY = true;
  }
  return loss;
}

}  // namespace unet
