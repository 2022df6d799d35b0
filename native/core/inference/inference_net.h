// The network predict runs: a snapshot of a model's weights made for inference.
// - batch norm (eval statistics) folded into the convolution before it;
// - on a CPU whose libtorch has oneDNN (batch norm or none): the convolutions are oneDNN's, their weights
//   reordered once (prepacked) for channels-last activations, ReLU fused into them; the transposed
//   upsampling is a 1x1 convolution whose outputs go into the concatenation with the skip connection in the
//   same pass that copies the skip connection; a batch runs in chunks
//   of about one 256x256 image, whose activations stay in cache and in memory the allocator reuses;
// - elsewhere (CUDA, instance norm, no oneDNN): the folded twin runs as a plain UNet.
// - in bf16 on the oneDNN path, the same network with bf16 weights and activations (fp32 bias and logits).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/model/unet.h"
#include "core/runtime/precision.h"

namespace unet {

// Batch norm folded into the preceding convolution: the same function in eval mode, fewer kernels.
// Returns a new model (same options but norm 'none' when folding applies; instance norm cannot be folded
// and is returned as an eval-mode copy).
UNet foldForInference(UNet& model);

class InferenceNet {
 public:
  // precision: resolved (not 'auto'). bf16 on the oneDNN path: bf16 weights and activations, fp32 bias and
  // logits; elsewhere bf16 or fp16 run the twin under autocast.
  InferenceNet(UNet& model, Precision precision);

  // As UNet::forward: N x inChannels x H x W (H, W >= 2^depth) -> N x classes x H x W fp32 logits.
  // Call under inference mode.
  torch::Tensor forward(const torch::Tensor& x);

  const UNetOptions& options() const { return twin_->options(); }
  Precision precision() const { return precision_; }

 private:
  struct PackedConv {
    c10::IValue context;  // oneDNN's prepacked weights and bias, and ReLU when fused
  };
  struct PackedDoubleConv {
    PackedConv first, second;
  };
  struct PackedUp {
    PackedConv up;  // transposed: 1x1 to 4 x channels (2x2 positions); else the 1x1 reduction
    PackedDoubleConv conv;
  };

  void prepack();
  PackedConv pack(const torch::Tensor& weight, const torch::Tensor& bias, int64_t size, bool relu) const;
  torch::Tensor run(const PackedConv& conv, const torch::Tensor& x) const;
  torch::Tensor doubleConv(const PackedDoubleConv& block, const torch::Tensor& x) const;
  // Upsamples x, concatenates the skip connection and it, and runs the DoubleConv on that.
  torch::Tensor up(const PackedUp& block, const torch::Tensor& x, const torch::Tensor& skip) const;
  torch::Tensor forwardPacked(const torch::Tensor& x) const;  // height and width multiples of 2^depth

  UNet twin_{nullptr};
  Precision precision_;
  bool prepacked_ = false;
  PackedDoubleConv inc_;
  std::vector<PackedDoubleConv> downs_;
  std::vector<PackedUp> ups_;
  PackedConv head_;
};

}  // namespace unet
