#include "core/training/optimizer.h"

#include <cmath>
#include <stdexcept>

#include "core/options/range.h"

namespace unet {

void OptimizerOptions::validate(const std::string& path) const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  range::oneOf(path + ".optimizer", name, {"adam", "adamw", "sgd"});
  range::number(path + ".lr", lr, 0, range::kInfinity, true);
  range::atLeast(path + ".weightDecay", weightDecay, 0);
  range::number(path + ".momentum", momentum, 0, 1, false, true);
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas: expected numbers in [0, 1)");
  require(eps > 0, "eps: expected a positive number");
  require(!nesterov || momentum > 0, "nesterov: needs a momentum above 0");
}

OptimizerOptions OptimizerOptions::defaultsFor(const std::string& name) {
  OptimizerOptions options;
  options.name = name;
  if (name == "sgd") options.lr = 1e-2;
  if (name == "adamw") options.weightDecay = 1e-2;
  return options;
}

Optimizer::Optimizer(std::vector<std::pair<std::string, torch::Tensor>> parameters, OptimizerOptions options)
    : parameters_(std::move(parameters)), options_(std::move(options)) {
  options_.validate();
}

void Optimizer::zeroGrad() {
  for (auto& [name, parameter] : parameters_) {
    if (parameter.grad().defined()) parameter.mutable_grad().zero_();
  }
}

void Optimizer::step() {
  torch::NoGradGuard noGrad;
  ++steps_;
  for (auto& [name, parameter] : parameters_) {
    if (!parameter.grad().defined()) continue;
    if (options_.name == "sgd") {
      sgdStep(name, parameter, parameter.grad());
    } else {
      adamStep(name, parameter, parameter.grad());
    }
  }
}

void Optimizer::adamStep(const std::string& name, torch::Tensor& parameter, torch::Tensor gradient) {
  const auto& o = options_;
  if (o.name == "adamw") {
    parameter.mul_(1 - o.lr * o.weightDecay);
  } else if (o.weightDecay != 0) {
    gradient = gradient.add(parameter, o.weightDecay);
  }
  auto& average = slots_[name + ".exp_avg"];
  auto& averageSquare = slots_[name + ".exp_avg_sq"];
  if (!average.defined()) {
    average = torch::zeros_like(parameter);
    averageSquare = torch::zeros_like(parameter);
  }
  const double biasCorrection1 = 1 - std::pow(o.beta1, static_cast<double>(steps_));
  const double biasCorrection2 = 1 - std::pow(o.beta2, static_cast<double>(steps_));
  average.mul_(o.beta1).add_(gradient, 1 - o.beta1);
  averageSquare.mul_(o.beta2).addcmul_(gradient, gradient, 1 - o.beta2);
  const auto denominator = (averageSquare.sqrt() / std::sqrt(biasCorrection2)).add_(o.eps);
  parameter.addcdiv_(average, denominator, -o.lr / biasCorrection1);
}

void Optimizer::sgdStep(const std::string& name, torch::Tensor& parameter, torch::Tensor gradient) {
  const auto& o = options_;
  if (o.weightDecay != 0) gradient = gradient.add(parameter, o.weightDecay);
  if (o.momentum != 0) {
    auto& buffer = slots_[name + ".momentum_buffer"];
    if (!buffer.defined()) {
      buffer = gradient.clone();
    } else {
      buffer.mul_(o.momentum).add_(gradient);
    }
    gradient = o.nesterov ? gradient.add(buffer, o.momentum) : buffer;
  }
  parameter.add_(gradient, -o.lr);
}

std::map<std::string, torch::Tensor> Optimizer::slots() const {
  std::map<std::string, torch::Tensor> state;
  for (const auto& [key, slot] : slots_) state[key] = slot.detach().to(torch::kCPU).clone();
  state["step"] = torch::tensor(steps_, torch::kInt64);
  return state;
}

void Optimizer::loadSlots(const std::map<std::string, torch::Tensor>& state) {
  auto step = state.find("step");
  if (step == state.end()) throw std::invalid_argument("optimizer state: no 'step' entry");
  std::map<std::string, torch::Tensor> slots;
  for (const auto& [name, parameter] : parameters_) {
    for (const char* slot : {".exp_avg", ".exp_avg_sq", ".momentum_buffer"}) {
      auto found = state.find(name + slot);
      if (found == state.end()) continue;
      if (found->second.sizes() != parameter.sizes()) {
        throw std::invalid_argument("optimizer state: " + name + slot + " does not fit the parameter's shape");
      }
      slots[name + slot] = found->second.to(parameter.device(), parameter.scalar_type()).clone();
    }
  }
  slots_ = std::move(slots);
  steps_ = step->second.item<int64_t>();
}

void clipGradientNorm(const std::vector<std::pair<std::string, torch::Tensor>>& parameters, double maxNorm) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> norms;
  for (const auto& [name, parameter] : parameters) {
    if (parameter.grad().defined()) norms.push_back(parameter.grad().norm(2));
  }
  if (norms.empty()) return;
  const double total = torch::stack(norms).norm(2).item<double>();
  const double scale = maxNorm / (total + 1e-6);
  if (scale >= 1) return;
  for (const auto& [name, parameter] : parameters) {
    if (parameter.grad().defined()) parameter.grad().mul_(scale);
  }
}

}  // namespace unet
