// Model files:
// - checkpoints: one file with the configuration, the weights and, for resuming, the optimiser state and the
//   epoch; written atomically (a temporary file, flushed, then renamed), so a crash never leaves a half file;
// - PyTorch interop: state dicts in torch.save's format, read by Python's torch.load and written by torch.save.
#pragma once

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

#include "core/model/unet.h"
#include "core/training/progress.h"

namespace unet {

// The file keeps the entry names of its first format ("modelState", "optimizerState", "trainingState").
struct CheckpointData {
  UNetOptions options;
  std::map<std::string, torch::Tensor> stateDict;       // parameters and buffers by name (UNet's names)
  std::string optimizer;                                // "" when the file holds no optimiser state
  std::map<std::string, torch::Tensor> optimizerSlots;  // Optimizer::slots()
  std::string progress;                                 // encodeProgress's lines
};

// The model, its optimiser and its training progress, as saveCheckpoint takes them.
CheckpointData makeCheckpoint(UNet& model, const TrainingProgress& progress);

// Writes atomically: path + ".tmp-<pid>" is written and flushed, then renamed over path.
void saveCheckpoint(const std::string& path, const CheckpointData& checkpoint);

// Throws std::invalid_argument naming the path and what is wrong: missing, not a torch-unet checkpoint,
// truncated or corrupt, or written by a newer format version.
CheckpointData loadCheckpoint(const std::string& path);

// torch.save-compatible file holding a dict {name: tensor} (CPU tensors). Atomic like saveCheckpoint.
void exportStateDict(const std::string& path, const std::map<std::string, torch::Tensor>& state);

// Reads a file written by torch.save(model.state_dict(), path) (a dict of tensors; an OrderedDict is fine).
// Throws std::invalid_argument when the file is missing, corrupt or not a dict of tensors.
std::map<std::string, torch::Tensor> importStateDict(const std::string& path);

// The named parameters and buffers of a module, and loading them back with every name and shape checked first.
std::map<std::string, torch::Tensor> stateDictOf(torch::nn::Module& module);
void loadStateDict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& stateDict);

}  // namespace unet
