// The man page krgdemo(1) and the bash completion, generated at build time
// from the command table (main.cc) and each command's own option table, so
// that neither can drift from `--help`:
//   krgdemo __docgen man TEMPLATE OUT    docs/krgdemo.1.in -> krgdemo.1
//   krgdemo __docgen bash OUT            the bash completion script
// Every command runs once with `--help` while a recorder is installed:
// ParseArgs hands it the command's usage, purpose, options and epilog
// instead of printing them. Single-threaded (the launcher's main thread).
#ifndef KRG_LAUNCHER_CLI_DOCGEN_H_
#define KRG_LAUNCHER_CLI_DOCGEN_H_

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace krg::cli {

struct HelpText;

inline constexpr char kDocgenCommand[] = "__docgen";

// `krgdemo __docgen ...` (args after the verb). Exit 0, or 2 with one line.
int DocgenMain(const std::vector<std::string>& args);

// Called by ParseArgs with a command's --help material. Returns true when a
// docgen run is recording (the command must then stop: nothing printed).
bool RecordHelpForDocs(const std::string& command, const HelpText& help,
                       const boost::program_options::options_description& o);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_CLI_DOCGEN_H_
