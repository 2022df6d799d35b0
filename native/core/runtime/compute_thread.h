// One long-lived thread that runs every libtorch job of the process, in the order posted. libuv would spread jobs
// over its pool threads, each with its own OpenMP team: teams left spinning on another thread fight the running one
// for the cores (a batch-8 forward took 925 ms that way, 737 ms on one thread). Nobody waits for a job: it reports
// its own end (the addon settles its Promise through a thread-safe function), so no libuv pool thread is held.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace unet {

class ComputeThread {
 public:
  static ComputeThread& instance();

  // Queues `job` behind those already posted and returns at once; `then` runs after it, once this thread counts
  // as idle again (a job's caller may learn of its end from `then` and set the threads at once). Neither may throw.
  void post(std::function<void()> job, std::function<void()> then = {});

  // libgomp keeps the intra-op thread count per thread, so it is set on this thread, between jobs: at once when no
  // job is running (the call then waits the microseconds that takes), else right after the running job, which
  // keeps its threads. Throws std::invalid_argument outside 1 to 1024.
  void setThreads(int64_t threads);

  // The intra-op threads as this thread read them back from libtorch after setting them.
  int64_t threads();

  // The nice value (-20 to 19) of this thread and of its OpenMP team, set at once from the caller's thread (Linux
  // keeps one per thread; threads the team starts later inherit this thread's). A server's event loop then gets a
  // core first when both want one. Lowering it needs CAP_SYS_NICE. Throws std::invalid_argument outside -20 to
  // 19, std::runtime_error when the system refuses or is not Linux.
  void setNice(int64_t nice);

  // This thread's nice value, as the system reports it.
  int64_t nice();

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;    // a job or a thread count is waiting
  std::condition_variable applied_;  // a thread count was set
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  bool running_ = false;
  int64_t requested_, set_ = 0, threads_ = 0;
  std::vector<long> team_;   // thread ids: this thread's first, then every OpenMP team's read when threads were set
  std::optional<int> nice_;  // the last nice value set, given to a team read later too
};

}  // namespace unet
