#include "core/inference/cpu_block_cache.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <cstring>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace unet {

namespace {

class Blocks {
 public:
  static Blocks& instance() {
    static auto* blocks = new Blocks();  // never destroyed: tensors may free blocks during exit
    return *blocks;
  }

  void* take(size_t bytes) {
    if (bytes < CpuBlockCache::kMinimumBytes) return c10::alloc_cpu(bytes);  // malloc's bins serve these well
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& free = free_[bytes];
      if (!free.empty()) {
        void* block = free.back();
        free.pop_back();
        cached_ -= bytes;
        return block;
      }
    }
    void* block = c10::alloc_cpu(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[block] = bytes;
    return block;
  }

  static void release(void* block) {
    if (block != nullptr) instance().give(block);
  }

 private:
  void give(void* block) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A block from libtorch's own allocator (raw_deallocate'd while the scope was on) is c10::alloc_cpu's too.
      const auto found = sizes_.find(block);
      if (found != sizes_.end()) {
        const size_t bytes = found->second;
        auto& free = free_[bytes];
        if (free.size() < CpuBlockCache::kBlocksPerSize && cached_ + bytes <= CpuBlockCache::kCapacity) {
          free.push_back(block);
          cached_ += bytes;
          return;
        }
        sizes_.erase(found);
      }
    }
    c10::free_cpu(block);
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // by exact size: each call asks for the same sizes
  std::unordered_map<void*, size_t> sizes_;              // every block handed out or cached
  size_t cached_ = 0;
};

c10::DataPtr allocateBlock(size_t bytes) {
  void* block = bytes == 0 ? nullptr : Blocks::instance().take(bytes);
  return {block, block, &Blocks::release, c10::Device(c10::DeviceType::CPU)};
}

// c10::Allocator::allocate is const up to libtorch 2.2 and not from 2.3, which also adds a pure virtual
// copy_data: the override is picked by what this libtorch's Allocator declares (all four combinations). Partial
// specializations are only checked when instantiated, so the variants that do not match this libtorch never compile.
template <typename Base, typename = void>
struct HasCopyData : std::false_type {};
template <typename Base>
struct HasCopyData<Base, std::void_t<decltype(&Base::copy_data)>> : std::true_type {};
constexpr bool kConstAllocate =
    std::is_same_v<decltype(&c10::Allocator::allocate), c10::DataPtr (c10::Allocator::*)(size_t) const>;

template <typename Base, bool ConstAllocate, bool CopyData>
class CachingAllocator;

template <typename Base>
class CachingAllocator<Base, true, false> final : public Base {
 public:
  c10::DataPtr allocate(size_t bytes) const override { return allocateBlock(bytes); }
  c10::DeleterFnPtr raw_deleter() const override { return &Blocks::release; }
};

template <typename Base>
class CachingAllocator<Base, false, true> final : public Base {
 public:
  c10::DataPtr allocate(size_t bytes) override { return allocateBlock(bytes); }
  c10::DeleterFnPtr raw_deleter() const override { return &Blocks::release; }
  void copy_data(void* target, const void* source, size_t bytes) const override { std::memcpy(target, source, bytes); }
};

template <typename Base>
class CachingAllocator<Base, false, false> final : public Base {
 public:
  c10::DataPtr allocate(size_t bytes) override { return allocateBlock(bytes); }
  c10::DeleterFnPtr raw_deleter() const override { return &Blocks::release; }
};

template <typename Base>
class CachingAllocator<Base, true, true> final : public Base {
 public:
  c10::DataPtr allocate(size_t bytes) const override { return allocateBlock(bytes); }
  c10::DeleterFnPtr raw_deleter() const override { return &Blocks::release; }
  void copy_data(void* target, const void* source, size_t bytes) const override { std::memcpy(target, source, bytes); }
};

using Allocator = CachingAllocator<c10::Allocator, kConstAllocate, HasCopyData<c10::Allocator>::value>;

c10::Allocator* cachingAllocator() {
  static auto* allocator = new Allocator();
  return allocator;
}

}  // namespace

// Priority 0, libtorch's default: an allocator someone installed with a higher priority stays in place.
CpuBlockCache::Scope::Scope() : previous_(c10::GetCPUAllocator()) {
  c10::SetCPUAllocator(cachingAllocator(), 0);
}

CpuBlockCache::Scope::~Scope() {
  c10::SetCPUAllocator(static_cast<c10::Allocator*>(previous_), 0);
}

}  // namespace unet
