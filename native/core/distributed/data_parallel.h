// What torch.nn.parallel.DistributedDataParallel adds to a training step, for one model in one process of a group:
// - the same weights on every rank to start with (rank 0's parameters and buffers, broadcast);
// - batch-norm buffers broadcast from rank 0 before every training forward (DDP's broadcast_buffers);
// - gradients averaged over ranks in buckets of about 25 MB (the first 1 MB), in reverse parameter order, each
//   bucket's allreduce started by the backward pass as soon as its last gradient is ready (DDP's Reducer, which
//   Debian's libtorch does not ship usable from C++).
// Gradients are divided by the world size before they are summed, as DDP's default hook does, so the average is
// bit for bit DDP's.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/distributed/process_group.h"
#include "core/model/unet.h"

namespace unet {

class DataParallel {
 public:
  static constexpr int64_t kBucketBytes = int64_t{25} << 20;
  static constexpr int64_t kFirstBucketBytes = int64_t{1} << 20;

  // syncBatchNorm: training forwards normalise with the statistics of every rank's batch (sync_batch_norm.h).
  DataParallel(UNet& model, std::shared_ptr<ProcessGroup> group, bool syncBatchNorm = false);
  ~DataParallel();  // removes the gradient hooks
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  ProcessGroup& group() { return *group_; }
  bool syncBatchNorm() const { return syncBatchNorm_; }

  void broadcastState();    // parameters and buffers, from rank 0
  void broadcastBuffers();  // buffers only, from rank 0
  // Around one backward pass: start() arms the hooks; finish() starts the buckets no gradient reached, waits for
  // all, and leaves every parameter's .grad the average over ranks.
  void start();
  void finish();

  // Each value summed over ranks (float64): losses and counts for the logs, flags for decisions every rank must
  // take together (stop, NaN).
  std::vector<double> sum(const std::vector<double>& values);

 private:
  struct Bucket {
    std::vector<size_t> parameters;  // indices into parameters_
    std::vector<int64_t> offsets;    // of each in `flat`
    torch::Tensor flat;              // float32, the gradients divided by the world size, then summed
    int64_t pending = 0;             // gradients still to arrive in this backward
    std::unique_ptr<ProcessGroup::Pending> work;
  };

  void gradientReady(size_t bucket, size_t slot, const torch::Tensor& gradient);
  void launch(Bucket& bucket);

  UNet model_;
  std::shared_ptr<ProcessGroup> group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, unsigned>> hooks_;  // (parameter, hook handle)
  bool syncBatchNorm_;
  bool armed_ = false;
};

}  // namespace unet
