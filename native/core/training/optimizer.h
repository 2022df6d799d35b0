// Adam, AdamW and SGD written out with PyTorch's update rules (torch.optim, single-tensor path), so a run
// matches PyTorch eager step for step and the slots have plain names for checkpoints.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace unet {

struct OptimizerOptions {
  std::string name = "adam";  // "adam" | "adamw" | "sgd"
  double lr = 1e-3;
  double weightDecay = 0.0;  // L2 for adam and sgd, decoupled for adamw
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double momentum = 0.9;  // sgd
  bool nesterov = false;  // sgd

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option

  // Every default for the named optimiser: lr 1e-3 (adam, adamw) or 1e-2 (sgd); weightDecay 0 (adam, sgd) or 1e-2
  // (adamw), as torch.optim's defaults are.
  static OptimizerOptions defaultsFor(const std::string& name);
};

class Optimizer {
 public:
  // parameters: by name, as the model names them (the names key the saved state).
  Optimizer(std::vector<std::pair<std::string, torch::Tensor>> parameters, OptimizerOptions options);

  void zeroGrad();
  void step();  // parameters without a gradient are skipped

  double learningRate() const { return options_.lr; }
  void setLearningRate(double lr) { options_.lr = lr; }
  const OptimizerOptions& options() const { return options_; }

  // "<parameter>.<slot>" -> tensor (slots: exp_avg, exp_avg_sq, momentum_buffer) and "step" (int64).
  std::map<std::string, torch::Tensor> slots() const;
  void loadSlots(const std::map<std::string, torch::Tensor>& slots);  // throws std::invalid_argument on a mismatch

 private:
  void adamStep(const std::string& name, torch::Tensor& parameter, torch::Tensor gradient);
  void sgdStep(const std::string& name, torch::Tensor& parameter, torch::Tensor gradient);

  std::vector<std::pair<std::string, torch::Tensor>> parameters_;
  OptimizerOptions options_;
  int64_t steps_ = 0;
  std::map<std::string, torch::Tensor> slots_;
};

// Largest global gradient norm allowed; scales all gradients down together when exceeded (clip_grad_norm_).
void clipGradientNorm(const std::vector<std::pair<std::string, torch::Tensor>>& parameters, double maxNorm);

}  // namespace unet
