// Issue 7: matching runs across result files, flagging regressions, the
// reports, the suites and the microbenchmark output reader.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bench/bench_suite.h"
#include "bench/micro_bench.h"
#include "gtest/gtest.h"
#include "krg/comparison.h"
#include "krg/platform.h"
#include "krg/stats.h"
#include "registry.h"
#include "report/report.h"

namespace krg::cli {
namespace {

using nlohmann::json;

// `n` samples around `median` with a relative spread of `cov`, from `seed`.
std::vector<double> Noise(double median, double cov, int n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(median, median * cov);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(std::max(1e-6, d(gen)));
  return out;
}

RunRecord MakeRun(const std::string& variant, int nodes,
                  std::vector<double> samples, bool verified = true) {
  RunRecord r;
  r.demo = "mandelbrot";
  r.size = "small";
  r.params = {{"variant", variant}};
  r.engine = nodes > 1 ? "procs" : "threads";
  r.nodes = nodes;
  r.samples_s = std::move(samples);
  r.median_s = Median(r.samples_s);
  r.verified = verified;
  r.checksum = "fnv1a64:" + variant;
  return r;
}

NamedFile File(const std::string& label, std::vector<RunRecord> runs) {
  NamedFile f{label + ".json", {}};
  f.file.label = label;
  f.file.runs = std::move(runs);
  return f;
}

Comparison MustCompare(const std::vector<NamedFile>& files,
                       CompareOptions options = {}) {
  auto c = CompareFiles(files, options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : Comparison{};
}

TEST(CompareTest, PlantedTwentyPercentSlowdownIsFlagged) {
  auto base = Noise(0.100, 0.02, 10, 1);
  auto slow = Noise(0.120, 0.02, 10, 2);
  Comparison c = MustCompare({File("A", {MakeRun("smooth", 2, base)}),
                              File("B", {MakeRun("smooth", 2, slow)})});
  ASSERT_EQ(c.rows.size(), 1u);
  const Cell& cell = c.rows[0].cells[1];
  EXPECT_EQ(cell.verdict, Verdict::kRegression);
  EXPECT_NEAR(cell.change_pct, 20, 4);
  EXPECT_LT(cell.test.p_value, 0.001);
  EXPECT_EQ(c.regressions, 1);
  EXPECT_NEAR(c.summaries[1].geomean_ratio, 1.2, 0.05);
  // The other way round it is an improvement.
  Comparison back = MustCompare({File("B", {MakeRun("smooth", 2, slow)}),
                                 File("A", {MakeRun("smooth", 2, base)})});
  EXPECT_EQ(back.rows[0].cells[1].verdict, Verdict::kImprovement);
  EXPECT_EQ(back.regressions, 0);
  // Welch's t agrees.
  CompareOptions welch;
  welch.test = SignificanceTest::kWelch;
  Comparison w = MustCompare({File("A", {MakeRun("smooth", 2, base)}),
                              File("B", {MakeRun("smooth", 2, slow)})},
                             welch);
  EXPECT_EQ(w.rows[0].cells[1].verdict, Verdict::kRegression);
}

TEST(CompareTest, NoiseFromTheSameDistributionIsNotFlagged) {
  int flagged = 0;
  for (unsigned seed = 0; seed < 100; seed += 2) {
    Comparison c = MustCompare(
        {File("A", {MakeRun("smooth", 1, Noise(0.1, 0.05, 10, seed))}),
         File("B", {MakeRun("smooth", 1, Noise(0.1, 0.05, 10, seed + 1))})});
    flagged += c.rows[0].cells[1].verdict != Verdict::kUnchanged;
  }
  // Flagging needs |change| > 5% and p < 0.05: noise almost never does it.
  EXPECT_LE(flagged, 1);
}

TEST(CompareTest, ABigChangeNotSignificantIsNotFlagged) {
  // 15% slower in the median, but the spread swamps it.
  Comparison c = MustCompare(
      {File("A", {MakeRun("smooth", 1, {1.0, 0.5, 1.6, 0.7, 1.3})}),
       File("B", {MakeRun("smooth", 1, {1.15, 0.6, 1.5, 0.8, 1.2})})});
  EXPECT_EQ(c.rows[0].cells[1].verdict, Verdict::kUnchanged);
}

TEST(CompareTest, TooFewSamplesAreNeverFlagged) {
  Comparison c = MustCompare({File("A", {MakeRun("smooth", 1, {1.0})}),
                              File("B", {MakeRun("smooth", 1, {2.0})})});
  EXPECT_EQ(c.rows[0].cells[1].verdict, Verdict::kFewSamples);
  EXPECT_EQ(c.regressions, 0);
  EXPECT_EQ(c.summaries[1].few_samples, 1);
  EXPECT_NE(RenderTable(c, false).find("few samples"), std::string::npos);
}

TEST(CompareTest, PartiallyOverlappingFilesMatchByParamsToo) {
  // A: smooth x1, smooth x2, classic x2. B: smooth x2, classic x2, classic x4.
  Comparison c = MustCompare({File("A", {MakeRun("smooth", 1, {1, 1, 1}),
                                         MakeRun("smooth", 2, {2, 2, 2}),
                                         MakeRun("classic", 2, {3, 3, 3})}),
                              File("B", {MakeRun("smooth", 2, {2, 2, 2}),
                                         MakeRun("classic", 2, {3, 3, 3}),
                                         MakeRun("classic", 4, {4, 4, 4})})});
  ASSERT_EQ(c.rows.size(), 4u);
  EXPECT_EQ(c.summaries[1].matched, 2);
  EXPECT_FALSE(c.rows[0].cells[1].present);  // smooth x1
  EXPECT_EQ(c.rows[0].cells[0].verdict, Verdict::kBaseline);
  EXPECT_FALSE(c.rows[3].cells[0].present);  // classic x4
  EXPECT_EQ(c.rows[3].cells[1].verdict, Verdict::kMissing);
  EXPECT_DOUBLE_EQ(c.summaries[1].geomean_ratio, 1.0);
  const std::string table = RenderTable(c, false);
  EXPECT_NE(table.find("1 only in A, 1 only in B"), std::string::npos) << table;
}

TEST(CompareTest, FilesWithNothingInCommonAreAnError) {
  auto c = CompareFiles({File("A", {MakeRun("smooth", 1, {1, 1})}),
                         File("B", {MakeRun("classic", 1, {1, 1})})},
                        {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("no common runs"), std::string::npos);
}

TEST(CompareTest, BadSamplesAreAnErrorNamingTheRun) {
  auto c = CompareFiles({File("A", {MakeRun("smooth", 1, {1, 1})}),
                         File("B", {MakeRun("smooth", 1, {1, -1})})},
                        {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("B.json: 'runs[0].samples_s'"),
            std::string::npos)
      << c.status().message();
}

TEST(CompareTest, GeometricMeanOfRatiosPerFile) {
  Comparison c = MustCompare(
      {File("A", {MakeRun("smooth", 1, {1.0}), MakeRun("classic", 1, {1.0})}),
       File("B", {MakeRun("smooth", 1, {2.0}), MakeRun("classic", 1, {0.5})}),
       File("C", {MakeRun("smooth", 1, {1.1}), MakeRun("classic", 1, {1.1})})});
  EXPECT_NEAR(c.summaries[1].geomean_ratio, 1.0, 1e-12);  // sqrt(2 * 0.5)
  EXPECT_NEAR(c.summaries[2].geomean_ratio, 1.1, 1e-12);
  EXPECT_EQ(c.rows[0].cells.size(), 3u);
}

TEST(CompareTest, UnverifiedRunsAndDifferentAnswersAreReported) {
  RunRecord b =
      MakeRun("smooth", 1, Noise(0.2, 0.01, 8, 4), /*verified=*/false);
  b.checksum = "fnv1a64:other";
  Comparison c =
      MustCompare({File("A", {MakeRun("smooth", 1, Noise(0.1, 0.01, 8, 3))}),
                   File("B", {b})});
  EXPECT_EQ(c.rows[0].cells[1].verdict, Verdict::kUnverified);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("different answer"), std::string::npos);
}

TEST(CompareTest, MicrobenchmarksMatchByBinaryAndName) {
  NamedFile a = File("A", {MakeRun("smooth", 1, {1, 1})});
  NamedFile b = File("B", {MakeRun("smooth", 1, {1, 1})});
  a.file.extensions["micro"] = json::array(
      {ToJson(MicroRecord{"m_bench", "BM_X", Noise(1e-3, 0.01, 5, 5), ""}),
       ToJson(MicroRecord{"m_bench", "BM_Gone", {1e-3}, ""})});
  b.file.extensions["micro"] = json::array(
      {ToJson(MicroRecord{"m_bench", "BM_X", Noise(1.3e-3, 0.01, 5, 6), ""}),
       ToJson(MicroRecord{"m_bench", "BM_Err", {}, "no CPU"})});
  Comparison c = MustCompare({a, b});
  ASSERT_EQ(c.rows.size(), 3u);  // the run, BM_X, BM_Gone (BM_Err skipped)
  EXPECT_TRUE(c.rows[1].micro);
  EXPECT_EQ(c.rows[1].cells[1].verdict, Verdict::kRegression);
  b.file.extensions["micro"] = json::array({{{"binary", 3}}});
  auto bad = CompareFiles({a, b}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("micro[0]"), std::string::npos);
}

// Issue 18: files of `bench --rounds`. K rounds of `n` samples around
// `median`, each round shifted by up to `round_spread` (the noise between
// rounds that samples inside one round do not show).
RunRecord RoundsRun(const std::string& variant, double median,
                    double round_spread, unsigned seed, int rounds = 3,
                    int n = 3) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> shift(-round_spread, round_spread);
  std::vector<std::vector<double>> by_round;
  std::vector<double> all;
  for (int k = 0; k < rounds; ++k) {
    by_round.push_back(Noise(median * (1 + shift(gen)), 0.005, n, seed + k));
    all.insert(all.end(), by_round.back().begin(), by_round.back().end());
  }
  RunRecord r = MakeRun(variant, 2, all);
  r.round_samples_s = by_round;
  return r;
}

RunRecord Scaled(RunRecord r, double factor) {
  for (double& s : r.samples_s) s *= factor;
  for (auto& round : r.round_samples_s) {
    for (double& s : round) s *= factor;
  }
  return r;
}

TEST(CompareRoundsTest, PlantedTenPercentIsARegressionAndTwoPercentIsNot) {
  const RunRecord a = RoundsRun("smooth", 0.2, 0.01, 11);
  const RunRecord other = RoundsRun("classic", 0.3, 0.01, 21);
  for (double factor : {1.10, 1.02}) {
    Comparison c = MustCompare(
        {File("A", {a, other}),
         File("B", {Scaled(a, factor), RoundsRun("classic", 0.3, 0.01, 31)})});
    const Cell& cell = c.rows[0].cells[1];
    EXPECT_FALSE(cell.one_round);
    EXPECT_NEAR(cell.ratio, factor, 1e-9);
    EXPECT_LE(cell.ratio_ci.lo, factor);
    EXPECT_GE(cell.ratio_ci.hi, factor);
    EXPECT_EQ(cell.verdict,
              factor > 1.05 ? Verdict::kRegression : Verdict::kUnchanged)
        << factor << ": [" << cell.ratio_ci.lo << ", " << cell.ratio_ci.hi
        << "] p " << cell.p_adjusted;
    EXPECT_EQ(c.rows[1].cells[1].verdict, Verdict::kUnchanged);
    EXPECT_EQ(c.family, 2);
  }
}

TEST(CompareRoundsTest, RoundsThatDisagreeAreNoisyNotAVerdict) {
  // Rounds 20% apart in the baseline: a 10% change cannot be resolved.
  const RunRecord a = RoundsRun("smooth", 0.2, 0.2, 5);
  Comparison c =
      MustCompare({File("A", {a}),
                   File("B", {Scaled(RoundsRun("smooth", 0.2, 0.2, 6), 1.1)})});
  EXPECT_EQ(c.rows[0].cells[1].verdict, Verdict::kNoisy);
  EXPECT_GT(c.rows[0].cells[1].baseline_spread_pct, 5);
  EXPECT_EQ(c.summaries[1].noisy, 1);
  EXPECT_EQ(c.regressions, 0);
}

TEST(CompareRoundsTest, SamplesOfOneRoundDoNotMakeRoundsAgree) {
  // Inside each round the samples agree to 0.5%, but the rounds move by
  // 6%: the same spread judged on samples would look significant.
  int flagged = 0;
  for (unsigned seed = 0; seed < 40; seed += 2) {
    Comparison c =
        MustCompare({File("A", {RoundsRun("smooth", 0.2, 0.06, seed)}),
                     File("B", {RoundsRun("smooth", 0.2, 0.06, seed + 1)})});
    const Verdict v = c.rows[0].cells[1].verdict;
    flagged += v == Verdict::kRegression || v == Verdict::kImprovement;
  }
  EXPECT_EQ(flagged, 0);
}

TEST(CompareRoundsTest, ShortRunsAreLeftOutOfVerdictsAndTheMean) {
  Comparison c =
      MustCompare({File("A", {RoundsRun("smooth", 0.01, 0.01, 1),
                              RoundsRun("classic", 0.2, 0.01, 2)}),
                   File("B", {Scaled(RoundsRun("smooth", 0.01, 0.01, 1), 2.0),
                              RoundsRun("classic", 0.2, 0.01, 3)})});
  EXPECT_EQ(c.rows[0].cells[1].verdict, Verdict::kTooShort);
  EXPECT_EQ(c.summaries[1].too_short, 1);
  EXPECT_EQ(c.summaries[1].judged, 1);
  EXPECT_NEAR(c.summaries[1].geomean_ratio, 1.0, 0.05);  // the 2x left out
  EXPECT_EQ(c.family, 1);
  EXPECT_NE(RenderTable(c, false).find("too short"), std::string::npos);
}

TEST(CompareRoundsTest, HolmCorrectsOverTheWholeSuite) {
  // The same borderline evidence on one run or on twenty: Holm asks more
  // of each when there are more of them.
  std::vector<double> p = {0.01};
  EXPECT_LT(HolmAdjust(p)[0], 0.05);
  p.assign(20, 0.01);
  EXPECT_GT(HolmAdjust(p)[0], 0.05);
}

TEST(CompareRoundsTest, OneRoundFilesStillCompareMarkedAsSuch) {
  RunRecord old = MakeRun("smooth", 2, Noise(0.2, 0.02, 10, 1));
  Comparison c = MustCompare(
      {File("A", {old}), File("B", {RoundsRun("smooth", 0.2, 0.01, 2)})});
  EXPECT_TRUE(c.rows[0].cells[1].one_round);
  EXPECT_EQ(c.files[0].rounds, 1);
  EXPECT_EQ(c.files[1].rounds, 3);
  const std::string table = RenderTable(c, false);
  EXPECT_NE(table.find("one round"), std::string::npos) << table;
  EXPECT_NE(table.find("]*"), std::string::npos) << table;
  EXPECT_NE(table.find("a one-round file"), std::string::npos) << table;
}

TEST(CompareRoundsTest, BusyRoundsAreFlagged) {
  NamedFile a = File("A", {RoundsRun("smooth", 0.2, 0.01, 1)});
  a.file.extensions["bench"] = {{"rounds",
                                 {{{"round", 1},
                                   {"wall_s", 30.0},
                                   {"load1_mean", 0.4},
                                   {"cpus", 2},
                                   {"steal_pct", 0.0}},
                                  {{"round", 2},
                                   {"wall_s", 31.0},
                                   {"load1_mean", 9.0},
                                   {"cpus", 2},
                                   {"steal_pct", 0.0}},
                                  {{"round", 3},
                                   {"wall_s", 30.0},
                                   {"load1_mean", 0.5},
                                   {"cpus", 2},
                                   {"steal_pct", 12.0}}}}};
  Comparison c =
      MustCompare({a, File("B", {RoundsRun("smooth", 0.2, 0.01, 2)})});
  ASSERT_EQ(c.files[0].round_info.size(), 3u);
  EXPECT_FALSE(c.files[0].round_info[0].busy);
  EXPECT_TRUE(c.files[0].round_info[1].busy);  // load
  EXPECT_TRUE(c.files[0].round_info[2].busy);  // steal
  EXPECT_EQ(c.files[0].busy_rounds, 2);
  EXPECT_NE(RenderTable(c, false).find("2 BUSY round(s)"), std::string::npos);
  std::string warning;
  EXPECT_NE(RenderHtml(c, &warning).find(">BUSY<"), std::string::npos);
}

TEST(CompareRoundsTest, ReportsShowTheIntervalAndTheVerdict) {
  const RunRecord a = RoundsRun("smooth", 0.2, 0.01, 11);
  Comparison c = MustCompare({File("A", {a}), File("B", {Scaled(a, 1.2)})});
  const std::string table = RenderTable(c, false);
  EXPECT_NE(table.find("B/A [95% CI]"), std::string::npos) << table;
  EXPECT_NE(table.find("1.200 ["), std::string::npos) << table;
  EXPECT_NE(table.find("B is 1.20 \u00b1 "), std::string::npos) << table;
  EXPECT_NE(table.find("times slower than A"), std::string::npos) << table;
  EXPECT_NE(RenderMarkdown(c).find("| 1.200 ["), std::string::npos);
  const std::string csv = RenderCsv(c);
  EXPECT_NE(csv.find(",bootstrap-rounds,REGRESSION,3,"), std::string::npos)
      << csv;
  std::string warning;
  const std::string html = RenderHtml(c, &warning);
  EXPECT_NE(html.find("1.200 ["), std::string::npos);
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_TRUE(warning.empty()) << warning;
    EXPECT_NE(html.find("<figcaption>mandelbrot: round medians"),
              std::string::npos);
  }
  Comparison back = MustCompare({File("B", {Scaled(a, 1.2)}), File("A", {a})});
  EXPECT_NE(RenderTable(back, false).find("times faster than A"),
            std::string::npos);
}

// Two real `bench --suite quick` files of one build (tests/data: 10 rounds
// of 3 passes, made on the 2-CPU development VM with nothing else running):
// no run may be flagged; a change planted into every configuration in
// turn, x1.02, is never a verdict; x1.10 is a regression or, where the
// rounds of that configuration cannot resolve 5%, "noisy" -- never
// "unchanged" or an improvement, and never flags another run -- and most
// configurations do resolve it.
ResultFile RealQuickFile(const std::string& name) {
  auto f = ReadResultFile(std::string(KRG_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : ResultFile{};
}

TEST(CompareRoundsTest, RealFilesOfOneBuildAreNotFlagged) {
  const ResultFile a = RealQuickFile("quick-same-build-1.json");
  const ResultFile b = RealQuickFile("quick-same-build-2.json");
  ASSERT_EQ(a.runs.size(), 14u);
  Comparison c = MustCompare({{"a.json", a}, {"b.json", b}});
  EXPECT_EQ(c.files[0].rounds, 10);
  EXPECT_EQ(c.files[0].round_info.size(), 10u);
  for (const Row& row : c.rows) {
    const Verdict v = row.cells[1].verdict;
    EXPECT_TRUE(v != Verdict::kRegression && v != Verdict::kImprovement)
        << row.label;
  }
}

TEST(CompareRoundsTest, ChangesPlantedInARealFile) {
  const ResultFile a = RealQuickFile("quick-same-build-1.json");
  for (double factor : {1.10, 1.02}) {
    int regressions = 0, judged = 0;
    for (std::size_t i = 0; i < a.runs.size(); ++i) {
      ResultFile b = a;
      b.runs[i] = Scaled(b.runs[i], factor);
      Comparison c = MustCompare({{"a.json", a}, {"b.json", b}});
      for (const Row& row : c.rows) {
        const Cell& cell = row.cells[1];
        if (row.id != RunId(a.runs[i])) {
          EXPECT_NE(cell.verdict, Verdict::kRegression) << row.label;
          EXPECT_NE(cell.verdict, Verdict::kImprovement) << row.label;
          continue;
        }
        EXPECT_NEAR(cell.ratio, factor, 1e-9);
        EXPECT_NE(cell.verdict, Verdict::kImprovement) << row.label;
        if (cell.verdict == Verdict::kTooShort) continue;
        ++judged;
        if (factor < 1.05) {
          EXPECT_NE(cell.verdict, Verdict::kRegression) << row.label;
        } else {
          EXPECT_TRUE(cell.verdict == Verdict::kRegression ||
                      cell.verdict == Verdict::kNoisy)
              << row.label << ": [" << cell.ratio_ci.lo << ", "
              << cell.ratio_ci.hi << "]";
          regressions += cell.verdict == Verdict::kRegression;
        }
      }
    }
    EXPECT_GT(judged, 0);
    if (factor > 1.05) {
      EXPECT_GE(2 * regressions, judged)
          << regressions << " of " << judged << " runs resolved x1.10";
    }
  }
}

TEST(ReportTest, FormatsSayTheSameThing) {
  Comparison c = MustCompare(
      {File("A", {MakeRun("smooth", 2, Noise(0.1, 0.02, 10, 1)),
                  MakeRun("classic", 2, Noise(0.1, 0.02, 10, 7))}),
       File("B", {MakeRun("smooth", 2, Noise(0.12, 0.02, 10, 2)),
                  MakeRun("classic", 2, Noise(0.1, 0.02, 10, 8))})});
  const std::string plain = RenderTable(c, false);
  EXPECT_NE(plain.find("REGRESSION"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("\033["), std::string::npos);
  EXPECT_NE(RenderTable(c, true).find("\033[1;31mREGRESSION"),
            std::string::npos);
  EXPECT_NE(RenderMarkdown(c).find("| **REGRESSION** |"), std::string::npos);
  const std::string csv = RenderCsv(c);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 2 x 2
  EXPECT_NE(csv.find(",variant=smooth,procs,2,,B.json,B,10,"),
            std::string::npos)
      << csv;
}

TEST(ReportTest, HtmlIsSelfContainedWithOrWithoutGnuplot) {
  Comparison c = MustCompare({File("A <x>", {MakeRun("smooth", 1, {1.0, 1.1}),
                                             MakeRun("smooth", 2, {0.5})}),
                              File("B", {MakeRun("smooth", 1, {1.0, 1.2}),
                                         MakeRun("smooth", 2, {0.6})})});
  std::string warning;
  const std::string html = RenderHtml(c, &warning);
  EXPECT_EQ(html.find("A <x>"), std::string::npos);  // escaped
  EXPECT_NE(html.find("A &lt;x&gt;"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_TRUE(warning.empty()) << warning;
    EXPECT_EQ(std::count(html.begin(), html.end(), '\n') > 10, true);
    EXPECT_NE(html.find("<svg"), std::string::npos);
  }
  const std::string path = std::getenv("PATH");
  ::setenv("PATH", "/nonexistent", 1);
  const std::string bare = RenderHtml(c, &warning);
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_NE(warning.find("gnuplot not found"), std::string::npos);
  EXPECT_EQ(bare.find("<svg"), std::string::npos);
  EXPECT_NE(bare.find("<table>"), std::string::npos);
}

TEST(ReportTest, NamesAndUnits) {
  EXPECT_EQ(FileLetter(0), "A");
  EXPECT_EQ(FileLetter(25), "Z");
  EXPECT_EQ(FileLetter(26), "AA");
  EXPECT_EQ(FormatSeconds(1.5), "1.500 s");
  EXPECT_EQ(FormatSeconds(0.0162), "16.20 ms");
  EXPECT_EQ(FormatSeconds(8.5e-7), "850.0 ns");
  EXPECT_FALSE(ParseReportFormat("pdf").ok());
}

TEST(SuiteTest, BuiltinSuitesCoverEveryDemo) {
  for (const std::string& name : BuiltinSuiteNames()) {
    auto s = FindSuite(name, {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (const demos::Demo& d : demos::AllDemos()) {
      if (d.shape == Shape::kService) continue;  // measured by run, under wrk
      bool found = false;
      for (const SuiteEntry& e : s->entries) found = found || e.demo == d.name;
      EXPECT_TRUE(found) << d.name << " missing from suite " << name;
    }
    // The JSON form (stored in result files for --resume) plans the same.
    auto again = SuiteFromJson(ToJson(*s), name);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    ASSERT_EQ(Plan(*again).size(), Plan(*s).size());
    for (std::size_t i = 0; i < Plan(*s).size(); ++i) {
      EXPECT_EQ(Plan(*again)[i].id, Plan(*s)[i].id);
    }
  }
  auto unknown = FindSuite("nightly", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("suites: default, quick"),
            std::string::npos);
}

TEST(SuiteTest, SuiteFilesInDocsAreValid) {
  std::error_code ec;
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(KRG_DOCS_SUITES_DIR, ec)) {
    if (e.path().extension() != ".json") continue;
    ++files;
    auto s = FindSuite(e.path().string(), {});
    EXPECT_TRUE(s.ok()) << e.path() << ": " << s.status().ToString();
  }
  EXPECT_GE(files, 1);
}

json GoodSuite() {
  return json::parse(R"({"schema": "krgdemo.suite/1",
    "runs": [{"demo": "mandelbrot", "size": "test", "engine": "procs",
              "nodes": [1, 2], "params": {"variant": "classic"}}]})");
}

void ExpectSuiteError(json j, const std::string& needle) {
  auto s = SuiteFromJson(j, "t");
  ASSERT_FALSE(s.ok()) << j.dump();
  EXPECT_NE(s.status().message().find(needle), std::string::npos)
      << s.status().message();
}

TEST(SuiteTest, SuiteFilesAreReadStrictly) {
  ASSERT_TRUE(SuiteFromJson(GoodSuite(), "t").ok());
  json j = GoodSuite();
  j["bogus"] = 1;
  ExpectSuiteError(j, "unknown key 'bogus'");
  j = GoodSuite();
  j["schema"] = "krgdemo.suite/2";
  ExpectSuiteError(j, "schema");
  j = GoodSuite();
  j["runs"][0]["demo"] = "mandelbrt";
  ExpectSuiteError(j, "did you mean 'mandelbrot'");
  j = GoodSuite();
  j["runs"][0]["size"] = "huge";
  ExpectSuiteError(j, "runs[0].size");
  j = GoodSuite();
  j["runs"][0]["engine"] = "gpu";
  ExpectSuiteError(j, "runs[0].engine");
  j = GoodSuite();
  j["runs"][0]["params"] = {{"colour", "red"}};
  ExpectSuiteError(j, "colour");
  j = GoodSuite();
  j["runs"][0]["nodes"] = json::array();
  ExpectSuiteError(j, "runs[0].nodes' is empty");
  j = GoodSuite();
  j["runs"][0]["nodes"] = {1, 1};
  ExpectSuiteError(j, "twice");
  j = GoodSuite();
  j["runs"][0]["nodes"] = "1,2";
  ExpectSuiteError(j, "wrong type");
  j = GoodSuite();
  j["repeat"] = {{"min_samples", 5}, {"max_samples", 2}};
  ExpectSuiteError(j, "max_samples");
  j = GoodSuite();
  j.erase("runs");
  ExpectSuiteError(j, "runs");
}

TEST(MicroTest, ReadsRepetitionsAndSkipsAggregates) {
  const std::string out = R"({"context": {}, "benchmarks": [
    {"name": "BM_A/real_time", "run_name": "BM_A/real_time",
     "run_type": "iteration", "real_time": 2.5, "time_unit": "ms"},
    {"name": "BM_A/real_time", "run_name": "BM_A/real_time",
     "run_type": "iteration", "real_time": 3.5, "time_unit": "ms"},
    {"name": "BM_A/real_time_mean", "run_name": "BM_A/real_time",
     "run_type": "aggregate", "real_time": 3.0, "time_unit": "ms"},
    {"name": "BM_B", "run_name": "BM_B", "run_type": "iteration",
     "error_occurred": true, "error_message": "no fork"}]})";
  auto recs = ParseBenchmarkJson("x_bench", out);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].name, "BM_A/real_time");
  ASSERT_EQ((*recs)[0].samples_s.size(), 2u);
  EXPECT_DOUBLE_EQ((*recs)[0].samples_s[1], 3.5e-3);
  EXPECT_EQ((*recs)[1].error, "no fork");
  EXPECT_FALSE(ParseBenchmarkJson("x_bench", "Running...").ok());
}

}  // namespace
}  // namespace krg::cli
