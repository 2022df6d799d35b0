// One loss with its options, chosen by name: what the model's training and gradient code is handed.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/losses/losses.h"

namespace unet {

using LossSpec =
    std::variant<DiceOptions, DiceCeOptions, BceOptions, CrossEntropyOptions, FocalOptions, TverskyOptions>;

// The losses by name, in LossSpec's order, as options name them.
const std::vector<const char*>& lossNames();

torch::Tensor computeLoss(const LossSpec& spec, const torch::Tensor& input, const torch::Tensor& target);

// What training, gradients and evaluate use when no loss is given: MONAI's DiceCELoss, with a sigmoid for one
// class (Dice + BCE) and a softmax over one-hot targets for more (Dice + CE).
DiceCeOptions defaultLoss(int64_t classes);

// The ranges of each loss's options; throws std::invalid_argument naming `path`.<option>.
void validateLoss(const LossSpec& spec, const std::string& path);

// Training needs one number per batch: throws std::invalid_argument for reduction 'none'.
void requireScalarLoss(const LossSpec& spec);

}  // namespace unet
