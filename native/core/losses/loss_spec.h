// One loss with its options, chosen by name: what the model's training and gradient code is handed.
#pragma once

#include <string>
#include <variant>

#include "core/losses/losses.h"

namespace unet {

using LossSpec =
    std::variant<DiceOptions, DiceCeOptions, BceOptions, CrossEntropyOptions, FocalOptions, TverskyOptions>;

torch::Tensor computeLoss(const LossSpec& spec, const torch::Tensor& input, const torch::Tensor& target);

// Training needs one number a batch: throws std::invalid_argument for reduction 'none'.
void requireScalarLoss(const LossSpec& spec);

}  // namespace unet
