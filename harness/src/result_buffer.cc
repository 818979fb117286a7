#include "krg/result_buffer.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace krg {

ResultBuffer::~ResultBuffer() {
  if (mapped_ != 0) ::munmap(data_, mapped_);
}

void ResultBuffer::Clear(std::size_t size) {
  if (size != size_ && mapped_ != 0) {
    ::munmap(data_, mapped_);
    data_ = nullptr;
    size_ = mapped_ = 0;
  }
  if (size == 0) return;
  if (mapped_ == 0) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    // Best effort: without it (an old kernel) the answer is the same, the
    // pass only slower.
    (void)::madvise(p, size, MADV_DONTFORK);
    data_ = static_cast<unsigned char*>(p);
    size_ = mapped_ = size;
    return;  // fresh anonymous memory is zero
  }
  std::memset(data_, 0, size_);
}

}  // namespace krg
