// The buffer a farm's master merges its units' results into, kept out of the
// processes it forks (MADV_DONTFORK).
//
// Why: the procs engine forks its workers after BeginPass(), which makes
// every page of the master copy-on-write; each Merge() into an ordinary
// heap buffer then took a page fault and a 4 KiB copy per page while the
// workers lived (mandelbrot 3200 x 1800: 5,800 faults and 23 MB copied per
// pass; issue 22). Workers never read the answer, so it need not follow
// them. The buffer is allocated at the first Clear(), i.e. inside the pass
// loop, after any fork that must keep it (Kerrighed's kernel-checkpoint
// root); a child forked later must not touch it.
//
//   ResultBuffer data;
//   data.Clear(bytes);                 // BeginPass: zeros, allocated once
//   std::memcpy(data.data() + at, unit.data(), unit.size());  // Merge
#ifndef KRG_RESULT_BUFFER_H_
#define KRG_RESULT_BUFFER_H_

#include <cstddef>

namespace krg {

class ResultBuffer {
 public:
  ResultBuffer() = default;
  ResultBuffer(const ResultBuffer&) = delete;
  ResultBuffer& operator=(const ResultBuffer&) = delete;
  ~ResultBuffer();

  // `size` zero bytes: mapped on the first call (or when the size changes),
  // zero-filled on the next ones. Aborts when memory cannot be mapped, as
  // std::vector does.
  void Clear(std::size_t size);
  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
};

}  // namespace krg

#endif  // KRG_RESULT_BUFFER_H_
