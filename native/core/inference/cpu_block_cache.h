// Reuse of CPU memory across inference calls.
// Every predict call allocates the same activation sizes again. From malloc, blocks of megabytes are mapped
// afresh (or trimmed back to the system when freed) and the kernel zeroes their pages at first touch: that cost
// a third of a 256x256 prediction here. While a CpuBlockCache::Scope is alive, libtorch's CPU tensors come from
// a cache of freed blocks of the same size instead (as onnxruntime's arena does).
#pragma once

#include <cstddef>

namespace unet {

class CpuBlockCache {
 public:
  // Installs the caching allocator as libtorch's CPU allocator until destroyed, then restores the previous one.
  // Blocks handed out meanwhile return to the cache whenever they are freed, on any thread.
  class Scope {
   public:
    Scope();
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    void* previous_;  // the c10::Allocator to restore
  };

  // Blocks below this size come from malloc as usual: its bins reuse them without mapping anything.
  static constexpr size_t kMinimumBytes = size_t{64} << 10;
  // Free blocks kept at most: of one size (a prediction holds a few of a size at once; results a caller has
  // not yet freed come back later and must not pile up), and in all, in bytes. Others go back to the system.
  static constexpr size_t kBlocksPerSize = 8;
  static constexpr size_t kCapacity = size_t{256} << 20;
};

}  // namespace unet
