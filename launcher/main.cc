// krgdemo: demos and benchmarks for single-system-image clusters.
// `krgdemo COMMAND [options]`; the commands are the table below.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "build_info.h"
#include "cli/cli.h"
#include "cli/docgen.h"
#include "krg/mpi_engine.h"

namespace krg::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"list", "the demos, their domain and the capabilities they show off",
       ListCommand},
      {"info", "platform, nodes (CPUs, memory, load) and versions",
       InfoCommand},
      {"run", "run one demo, verified, results in a folder", RunDemoCommand},
      {"scale", "speedup and efficiency over node counts, with charts",
       ScaleCommand},
      {"migrate", "move a process to a node (Kerrighed migrate, or CPU sets)",
       MigrateCommand},
      {"show", "narrated live demos: migration, balance, distant-fork, ...",
       ShowCommand},
      {"resume", "restart a checkpointed run from its last checkpoint",
       ResumeCommand},
      {"bench", "the release-benchmark suite, into one result file",
       BenchCommand},
      {"compare", "differences between result files, regressions flagged",
       CompareCommand},
      {"dashboard",
       "live per-node view in a browser (load, migrations, output)",
       DashboardCommand},
      {"selftest", "every demo at its smallest size, verified (boot check)",
       SelftestCommand},
  };
  return kCommands;
}

namespace {

void Usage(std::FILE* to) {
  std::fprintf(to,
               "Usage: krgdemo COMMAND [options]    (krgdemo COMMAND --help "
               "for each)\n\n"
               "Demos and benchmarks for single-system-image clusters "
               "(Kerrighed), on threads or on worker processes.\n\n"
               "Commands:\n");
  for (const Command& c : Commands()) {
    std::fprintf(to, "  %-9s %s\n", c.name, c.summary);
  }
  std::fprintf(to,
               "\nExample: krgdemo run mandelbrot --nodes 2\n"
               "Exit codes: 0 ok, 1 run failed or not verified, 2 usage "
               "error, 130 interrupted.\n");
}

}  // namespace
}  // namespace krg::cli

int main(int argc, char** argv) {
  using namespace krg::cli;
  // A rank of an mpi engine job: no interrupt flag, mpirun's signals end it.
  if (argc >= 2 && std::strcmp(argv[1], krg::kMpiRankCommand) == 0) {
    return krg::MpiRankMain(argc, argv, MakeDemoWorkload);
  }
  // Build time: the man page and the completion from the tables above.
  if (argc >= 2 && std::strcmp(argv[1], kDocgenCommand) == 0) {
    return DocgenMain(std::vector<std::string>(argv + 2, argv + argc));
  }
  (void)InterruptFlag();  // Ctrl-C stops workers cleanly, exit 130
  if (argc < 2) {
    Usage(stderr);
    return kExitUsage;
  }
  const std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    Usage(stdout);
    return kExitOk;
  }
  if (verb == "--version") {
    std::printf("krgdemo %s (git %s)\n", KRG_VERSION, KRG_GIT_COMMIT);
    return kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : Commands()) {
    if (verb == c.name) return c.run(args);
  }
  std::fprintf(stderr,
               "krgdemo: error: unknown command '%s' (see 'krgdemo --help')\n",
               verb.c_str());
  return kExitUsage;
}
