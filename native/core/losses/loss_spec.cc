#include "core/losses/loss_spec.h"

#include <type_traits>

#include "core/options/range.h"

namespace unet {

namespace {

template <class... Calls>
struct Overloaded : Calls... {
  using Calls::operator()...;
};
template <class... Calls>
Overloaded(Calls...) -> Overloaded<Calls...>;

}  // namespace

const std::vector<const char*>& lossNames() {
  static const std::vector<const char*> names = {"dice", "diceCe", "bce", "crossEntropy", "focal", "tversky"};
  return names;
}

torch::Tensor computeLoss(const LossSpec& spec, const torch::Tensor& input, const torch::Tensor& target) {
  // clang-format off
  return std::visit(Overloaded{
      [&](const DiceOptions& o) { return diceLoss(input, target, o); },
      [&](const DiceCeOptions& o) { return diceCeLoss(input, target, o); },
      [&](const BceOptions& o) { return bceLoss(input, target, o); },
      [&](const CrossEntropyOptions& o) { return crossEntropyLoss(input, target, o); },
      [&](const FocalOptions& o) { return focalLoss(input, target, o); },
      [&](const TverskyOptions& o) { return tverskyLoss(input, target, o); }}, spec);
  // clang-format on
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

namespace {

void weights(const std::string& name, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) range::atLeast(name + "[" + std::to_string(i) + "]", values[i], 0);
}

void dice(const DiceOptions& d, const std::string& path) {
  range::atLeast(path + ".smoothNr", d.smoothNr, 0);
  range::atLeast(path + ".smoothDr", d.smoothDr, 0);
  weights(path + ".weight", d.weight);
}

}  // namespace

void validateLoss(const LossSpec& spec, const std::string& path) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, DiceOptions>) {
          dice(o, path);
        } else if constexpr (std::is_same_v<T, DiceCeOptions>) {
          dice(o.dice, path);
          range::atLeast(path + ".lambdaDice", o.lambdaDice, 0);
          range::atLeast(path + ".lambdaCe", o.lambdaCe, 0);
          weights(path + ".ceWeight", o.ceWeight);
          range::number(path + ".labelSmoothing", o.labelSmoothing, 0, 1, false, true);
        } else if constexpr (std::is_same_v<T, BceOptions>) {
          weights(path + ".posWeight", o.posWeight);
        } else if constexpr (std::is_same_v<T, CrossEntropyOptions>) {
          weights(path + ".weight", o.weight);
          range::integer(path + ".ignoreIndex", o.ignoreIndex, -(int64_t{1} << 31), (int64_t{1} << 31) - 1);
          range::number(path + ".labelSmoothing", o.labelSmoothing, 0, 1, false, true);
        } else if constexpr (std::is_same_v<T, FocalOptions>) {
          range::atLeast(path + ".gamma", o.gamma, 0);
          if (o.alpha) range::probability(path + ".alpha", *o.alpha);
          weights(path + ".weight", o.weight);
        } else {
          range::atLeast(path + ".alpha", o.alpha, 0);
          range::atLeast(path + ".beta", o.beta, 0);
          range::atLeast(path + ".smoothNr", o.smoothNr, 0);
          range::atLeast(path + ".smoothDr", o.smoothDr, 0);
        }
      },
      spec);
}

}  // namespace unet
