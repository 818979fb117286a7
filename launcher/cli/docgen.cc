#include "cli/docgen.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "bench/bench_suite.h"
#include "cli/cli.h"
#include "krg/check.h"
#include "registry.h"
#include "show/scenarios.h"

namespace krg::cli {
namespace {

struct OptionDoc {
  std::string flag;        // "--nodes"
  std::string short_flag;  // "-h" or ""
  std::string value;       // "N", "" for a switch
  std::string def;         // the default_value, "" when none
  std::string text;
};

struct CommandDoc {
  std::string name, summary, usage, purpose, epilog;
  std::vector<OptionDoc> options;
};

std::vector<CommandDoc>* g_recorder = nullptr;

OptionDoc DescribeOption(const po::option_description& o) {
  OptionDoc d{"--" + o.long_name(), "", o.format_parameter(), "",
              o.description()};
  const std::string name = o.format_name();  // "-h [ --help ]" or "--x"
  if (name.size() > 1 && name[0] == '-' && name[1] != '-') {
    d.short_flag = name.substr(0, 2);
  }
  // format_parameter is "VALUE (=DEFAULT)" when the option has a default.
  if (const auto at = d.value.find(" (="); at != std::string::npos) {
    d.def = d.value.substr(at + 3, d.value.size() - at - 4);
    d.value.resize(at);
  }
  return d;
}

// Runs every command of the table with --help while recording.
std::vector<CommandDoc> CollectCommands() {
  std::vector<CommandDoc> docs;
  g_recorder = &docs;
  for (const Command& c : Commands()) {
    const std::size_t before = docs.size();
    (void)c.run({"--help"});
    KRG_CHECK(docs.size() == before + 1)
        << "command " << c.name << " does not parse through ParseArgs";
    docs.back().name = c.name;
    docs.back().summary = c.summary;
  }
  g_recorder = nullptr;
  return docs;
}

// The words a value can take when its name lists them ("normal|fast").
std::vector<std::string> Choices(const std::string& value) {
  static const std::regex kList("[a-z0-9-]+(\\|[a-z0-9-]+)+");
  std::vector<std::string> out;
  if (!std::regex_match(value, kList)) return out;
  std::stringstream in(value);
  for (std::string w; std::getline(in, w, '|');) out.push_back(w);
  return out;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> DemoNames() {
  std::vector<std::string> out;
  for (const demos::Demo& d : demos::AllDemos()) out.push_back(d.name);
  return out;
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> out;
  for (const show::Scenario& s : show::Scenarios()) out.push_back(s.name);
  return out;
}

std::vector<std::string> SuiteNames() {
  std::set<std::string> names;
  for (const std::string& n : BuiltinSuiteNames()) names.insert(n);
  for (const std::filesystem::path& dir : SuiteDirs()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".json") {
        names.insert(e.path().stem().string());
      }
    }
  }
  return {names.begin(), names.end()};
}

// The --param keys of a demo, read from its params_help lines
// ("width=W height=H   image size ..." gives width and height).
std::vector<std::string> ParamKeys(const demos::Demo& demo) {
  static const std::regex kKey("(^|\\s)([a-z_][a-z0-9_]*)=");
  std::vector<std::string> keys;
  std::stringstream in(demo.params_help);
  for (std::string line; std::getline(in, line);) {
    const std::string head = line.substr(0, line.find("  "));
    for (std::sregex_iterator it(head.begin(), head.end(), kKey), end;
         it != end; ++it) {
      keys.push_back((*it)[2].str() + "=");
    }
  }
  return keys;
}

// ---------------------------------------------------------------- man page

// Text for roff: backslashes and dashes escaped, non-ASCII as \[uXXXX] (so
// groff needs no preconv), a leading dot or quote neutralised.
std::string Roff(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      unsigned cp = c & (0x3F >> extra);
      for (int k = 0; k < extra && i + 1 < s.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      }
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

// Paragraphs of free text; indented lines (tables) kept as they are.
void RoffText(std::ostream& out, const std::string& text) {
  std::stringstream in(text);
  bool verbatim = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    const bool indented = line[0] == ' ';
    if (indented != verbatim) out << (indented ? ".nf\n" : ".fi\n");
    verbatim = indented;
    if (!indented) out << ".PP\n";
    out << Roff(line) << "\n";
  }
  if (verbatim) out << ".fi\n";
}

void ManCommand(std::ostream& out, const CommandDoc& c) {
  out << ".SS \"" << Roff("krgdemo " + c.usage.substr(0, c.usage.find('\n')))
      << "\"\n"
      << Roff(c.summary) << ".\n";
  RoffText(out, c.purpose);
  for (const OptionDoc& o : c.options) {
    out << ".TP\n"
        << (o.short_flag.empty() ? "" : "\\fB" + Roff(o.short_flag) + "\\fR, ")
        << "\\fB" << Roff(o.flag) << "\\fR"
        << (o.value.empty() ? "" : " \\fI" + Roff(o.value) + "\\fR") << "\n"
        << Roff(o.text)
        << (o.def.empty() ? "" : " (default: " + Roff(o.def) + ")") << "\n";
  }
  if (!c.epilog.empty()) RoffText(out, c.epilog);
}

void ManDemos(std::ostream& out) {
  for (const demos::Demo& d : demos::AllDemos()) {
    out << ".TP\n\\fB" << Roff(d.name) << "\\fR (" << Roff(d.domain) << ")\n"
        << Roff(d.summary) << "\n";
    if (!d.params_help.empty()) {
      out << ".RS\n.nf\n";
      std::stringstream in(d.params_help);
      for (std::string line; std::getline(in, line);) {
        out << "\\-\\-param " << Roff(line) << "\n";
      }
      out << ".fi\n.RE\n";
    }
  }
}

Status WriteMan(const std::string& templ, const std::string& out_path) {
  std::ifstream in(templ);
  if (!in) return Status::InvalidArgument("cannot read " + templ);
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    if (line == "@COMMANDS@") {
      for (const CommandDoc& c : CollectCommands()) ManCommand(out, c);
    } else if (line == "@DEMOS@") {
      ManDemos(out);
    } else {
      out << line << "\n";
    }
  }
  std::ofstream f(out_path);
  f << out.str();
  if (!f.good()) return Status::InvalidArgument("cannot write " + out_path);
  return Status::Ok();
}

// ---------------------------------------------------------- bash completion

// What a value, or a command's positional, completes to: a shell snippet.
std::string ValueCompletion(const std::string& option,
                            const std::string& value) {
  if (option == "--suite")
    return "_krgdemo_words \"" + Join(SuiteNames()) + "\"";
  if (option == "--demo") return "_krgdemo_words \"$demos\"";
  if (option == "--param") return "_krgdemo_params";
  if (const auto words = Choices(value); !words.empty()) {
    return "_krgdemo_words \"" + Join(words) + "\"";
  }
  if (value == "DIR") return "_krgdemo_files -d";
  if (value.find("FILE") != std::string::npos) return "_krgdemo_files -f";
  return ":";  // a number or a name: nothing to offer
}

std::string PositionalCompletion(const std::string& usage) {
  std::stringstream in(usage);
  std::string verb, first;
  in >> verb >> first;
  if (first == "DEMO") return "_krgdemo_words \"$demos\"";
  if (first == "SCENARIO")
    return "_krgdemo_words \"" + Join(ScenarioNames()) + "\"";
  if (first == "DIR") return "_krgdemo_files -d";
  if (first.find(".json") != std::string::npos) return "_krgdemo_files -f";
  return ":";
}

void BashCommand(std::ostream& out, const CommandDoc& c) {
  std::vector<std::string> flags;
  for (const OptionDoc& o : c.options) flags.push_back(o.flag);
  out << "        " << c.name << ")\n"
      << "            opts=\"" << Join(flags) << "\"\n"
      << "            case \"$prev\" in\n";
  for (const OptionDoc& o : c.options) {
    if (o.value.empty()) continue;
    out << "                " << o.flag << ") "
        << ValueCompletion(o.flag, o.value) << "; return ;;\n";
  }
  out << "            esac\n"
      << "            _krgdemo_positional() { " << PositionalCompletion(c.usage)
      << "; } ;;\n";
}

void BashParams(std::ostream& out) {
  out << "_krgdemo_params() {\n"
      << "    local w keys=\"\"\n"
      << "    for w in \"${COMP_WORDS[@]:2}\"; do\n"
      << "        case \"$w\" in\n";
  for (const demos::Demo& d : demos::AllDemos()) {
    out << "            " << d.name << ") keys=\"" << Join(ParamKeys(d))
        << "\" ;;\n";
  }
  out << "        esac\n    done\n"
      << "    compopt -o nospace 2>/dev/null\n"
      << "    _krgdemo_words \"$keys\"\n}\n";
}

Status WriteBash(const std::string& out_path) {
  std::ostringstream out;
  std::vector<std::string> names;
  const std::vector<CommandDoc> docs = CollectCommands();
  for (const CommandDoc& c : docs) names.push_back(c.name);
  out << "# shellcheck shell=bash\n"
      << "# bash completion for krgdemo, generated by `krgdemo __docgen bash` "
         "from its\n# command and option tables at build time: do not edit.\n"
      << "_krgdemo_words() { mapfile -t COMPREPLY < <(compgen -W \"$1\" -- "
         "\"$cur\"); }\n"
      << "_krgdemo_files() { mapfile -t COMPREPLY < <(compgen \"$1\" -- "
         "\"$cur\"); }\n";
  BashParams(out);
  out << "_krgdemo() {\n"
      << "    local cur prev cmd opts demos=\"" << Join(DemoNames()) << "\"\n"
      << "    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      << "    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      << "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
      << "        _krgdemo_words \"" << Join(names)
      << " --help --version\"; return\n    fi\n"
      << "    cmd=\"${COMP_WORDS[1]}\"\n"
      << "    case \"$cmd\" in\n";
  for (const CommandDoc& c : docs) BashCommand(out, c);
  out << "        *) return ;;\n    esac\n"
      << "    if [[ \"$cur\" == -* ]]; then _krgdemo_words \"$opts\"; "
         "else _krgdemo_positional; fi\n"
      << "}\ncomplete -F _krgdemo krgdemo\n";
  std::ofstream f(out_path);
  f << out.str();
  if (!f.good()) return Status::InvalidArgument("cannot write " + out_path);
  return Status::Ok();
}

}  // namespace

bool RecordHelpForDocs(const std::string& command, const HelpText& help,
                       const po::options_description& options) {
  if (g_recorder == nullptr) return false;
  CommandDoc doc{command, "", help.usage, help.purpose, help.epilog, {}};
  for (const auto& o : options.options()) {
    doc.options.push_back(DescribeOption(*o));
  }
  g_recorder->push_back(std::move(doc));
  return true;
}

int DocgenMain(const std::vector<std::string>& args) {
  Status st = Status::InvalidArgument(
      "usage: krgdemo __docgen man TEMPLATE OUT | bash OUT");
  if (args.size() == 3 && args[0] == "man") st = WriteMan(args[1], args[2]);
  if (args.size() == 2 && args[0] == "bash") st = WriteBash(args[1]);
  return st.ok() ? kExitOk : Fail(st);
}

}  // namespace krg::cli
