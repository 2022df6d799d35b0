// One long-lived thread that runs every libtorch job of the process, in the order submitted. libuv would
// spread jobs over its pool threads, each with its own OpenMP team: teams left spinning on another thread
// fight the running one for the cores (a batch-8 forward took 925 ms that way, 737 ms on one thread).
// Pure C++: no N-API here.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace unet {

class ComputeThread {
 public:
  static ComputeThread& instance();

  // Runs `job` on the compute thread and waits for it; an exception thrown by the job is rethrown here.
  void run(std::function<void()> job);

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> queue_;
  std::thread thread_;
};

}  // namespace unet
