// ForkWorker: the one place a worker process is forked, shared by the
// platforms. Private to harness/platform/.
#ifndef KRG_PLATFORM_FORK_WORKER_H_
#define KRG_PLATFORM_FORK_WORKER_H_

#include <functional>
#include <vector>

#include "krg/platform.h"

namespace krg::platform {

// Forks a child that gets default signal dispositions, only its own channel
// open (fd 3; with pipes, fd 3 is read and fd 4 written: a sibling's copy of
// another worker's channel would hide that worker's EOF), is pinned to `cpus`
// when not empty, runs body(its channel) and exits with its return value.
Result<Child> ForkWorker(const std::vector<int>& cpus, ChannelKind kind,
                         const WorkerBody& body);

// Reads a whole (small) file, "" when it cannot be read.
std::string ReadSmallFile(const std::string& path);

}  // namespace krg::platform

#endif  // KRG_PLATFORM_FORK_WORKER_H_
