// A group of training processes on PyTorch's c10d: a TCPStore rendezvous (hosted by rank 0, or by torchrun's agent)
// and ProcessGroupGloo on the CPU (ProcessGroupNCCL on CUDA where libtorch has it). Every collective has the
// group's timeout: a rank that is gone makes the others fail within it instead of waiting for ever.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unet {

enum class DistributedBackend { Gloo, Nccl };

struct ProcessGroupOptions {
  int64_t rank = 0;
  int64_t worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int64_t masterPort = 29500;  // torchrun's default
  DistributedBackend backend = DistributedBackend::Gloo;
  double timeoutSeconds = 300;  // of the rendezvous and of every collective
  std::string interface;        // the network interface Gloo uses (GLOO_SOCKET_IFNAME); "" = the one for the hostname
  // torchrun's agent hosts the store (TORCHELASTIC_USE_AGENT_STORE): every rank connects as a client, under the
  // prefix /worker/attempt_<restartCount>.
  bool agentStore = false;
  int64_t restartCount = 0;

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

DistributedBackend parseDistributedBackend(const std::string& name, const std::string& path = "backend");
const char* distributedBackendName(DistributedBackend backend);

// Whether this build has c10d's Gloo (or NCCL) process group; when not, why not and how to get it.
bool distributedAvailable(DistributedBackend backend);
std::string distributedMissing(DistributedBackend backend);

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;

  const ProcessGroupOptions& options() const { return options_; }
  int64_t rank() const { return options_.rank; }
  int64_t worldSize() const { return options_.worldSize; }

  // A pending collective; wait() throws the backend's error (a lost peer, the timeout) naming the operation.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void wait() = 0;
  };

  // In place, every rank's tensors summed (all of them, one flat float32 tensor each, same shapes on every rank).
  virtual std::unique_ptr<Pending> allreduceSum(std::vector<torch::Tensor> tensors) = 0;
  // In place, rank `root`'s values on every rank.
  virtual std::unique_ptr<Pending> broadcast(std::vector<torch::Tensor> tensors, int64_t root) = 0;
  // Every rank's `tensor` (same shape on all), stacked in rank order into one of worldSize x tensor's shape.
  virtual torch::Tensor allgather(const torch::Tensor& tensor) = 0;
  virtual void barrier() = 0;

 protected:
  explicit ProcessGroup(ProcessGroupOptions options) : options_(std::move(options)) {}
  ProcessGroupOptions options_;
};

// Joins the group (torch.distributed.init_process_group): blocks until every rank has come or the timeout has
// passed, then throws std::runtime_error saying where it waited. A build without the backend throws saying how to
// get it.
std::shared_ptr<ProcessGroup> initProcessGroup(const ProcessGroupOptions& options);

}  // namespace unet
