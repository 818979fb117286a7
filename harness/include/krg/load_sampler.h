// LoadSampler: how busy each node is, as a fraction 0..1 of its CPUs' time
// since the previous sample. It feeds the live views of `krgdemo show` and
// the dashboard.
//
// linux: the per-CPU counters of /proc/stat, averaged over each (virtual)
// node's CPUs. kerrighed: the aggregate `cpu` line of each node's own
// /proc/nodes/node<N>/stat (read under $KRGDEMO_SYSROOT); when a node's
// counters cannot be read or did not move, its loadavg / CPUs stands in.
//
// Thread-safety: Sample() updates the baseline; use one sampler per thread.
//
// Example:
//   LoadSampler sampler(*platform, layout.nodes);
//   ...  // every half second:
//   std::vector<double> busy = sampler.Sample();  // busy[i] is nodes[i]'s
#ifndef KRG_LOAD_SAMPLER_H_
#define KRG_LOAD_SAMPLER_H_

#include <functional>
#include <string>
#include <vector>

#include "krg/platform.h"

namespace krg::platform {

class LoadSampler {
 public:
  enum class Source {
    kProcStat,        // linux: /proc/stat per CPU
    kKerrighedNodes,  // kerrighed: /proc/nodes/node<N>/{stat,loadavg}
  };
  // Returns a file's text, "" when it cannot be read.
  using FileReader = std::function<std::string(const std::string& path)>;

  // The source that fits `platform` (its name()); reads the real files.
  LoadSampler(const Platform& platform, std::vector<Node> nodes);
  // Tests pass a fake `read`. Takes the first baseline at once.
  LoadSampler(Source source, std::vector<Node> nodes, FileReader read);

  // Busy fraction 0..1 of each node (in the order given) since the previous
  // call, or since construction for the first call.
  std::vector<double> Sample();
  // Used fraction 0..1 of each node's memory now (MemTotal less MemAvailable,
  // or less MemFree + Buffers + Cached where MemAvailable is missing).
  // linux: the machine's /proc/meminfo, which every virtual node shares;
  // kerrighed: each node's /proc/nodes/node<N>/meminfo.
  std::vector<double> MemoryUsed() const;

  const std::vector<Node>& nodes() const { return nodes_; }
  Source source() const { return source_; }

 private:
  std::vector<double> SampleProcStat();
  std::vector<double> SampleKerrighed();

  Source source_;
  std::vector<Node> nodes_;
  FileReader read_;
  std::vector<std::string> last_;  // linux: /proc/stat; kerrighed: per node
  std::vector<double> load_;       // the previous answer
};

}  // namespace krg::platform

#endif  // KRG_LOAD_SAMPLER_H_
