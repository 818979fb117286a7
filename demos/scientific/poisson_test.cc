// poisson: the same verified answer on every engine and rank count (2-D and
// 3-D), and bad parameters rejected as usage errors.
#include "scientific/poisson.h"

#include <unistd.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "krg/runner.h"
#include "test_support.h"

namespace krg::demos {
namespace {

struct Outcome {
  std::string checksum;
  double iterations = 0;
};

Outcome RunOnce(const DemoConfig& cfg, Engine engine, int ranks) {
  auto w = MakePoisson(cfg);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  auto m = test_support::MeasureOnce(
      **w, engine, engine == Engine::kProcs ? ranks : 1, ranks);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {};
  EXPECT_TRUE(m->verification.ok) << m->verification.detail;
  Outcome o{m->verification.checksum, 0};
  for (const auto& metric : (*w)->Metrics()) {
    if (metric.name == "iterations") o.iterations = metric.value;
  }
  EXPECT_GT(o.iterations, 10);
  return o;
}

TEST(PoissonTest, SameAnswerOnEveryEngineAndRankCount) {
  for (const char* dim : {"2", "3"}) {
    DemoConfig cfg;
    cfg.size = "test";
    cfg.params["dim"] = dim;
    cfg.params["n"] = dim == std::string("2") ? "40" : "14";
    const Outcome ref = RunOnce(cfg, Engine::kThreads, 1);
    for (int ranks = 1; ranks <= 3; ++ranks) {
      for (Engine e : {Engine::kThreads, Engine::kProcs}) {
        const Outcome o = RunOnce(cfg, e, ranks);
        EXPECT_EQ(o.checksum, ref.checksum)
            << "dim " << dim << " " << EngineName(e) << " " << ranks;
        EXPECT_NEAR(o.iterations, ref.iterations, 1);
      }
    }
  }
}

TEST(PoissonTest, JacobiConvergesToo) {
  DemoConfig cfg;
  cfg.size = "test";
  cfg.params["precond"] = "jacobi";
  cfg.params["n"] = "32";
  const Outcome a = RunOnce(cfg, Engine::kThreads, 2);
  const Outcome b = RunOnce(cfg, Engine::kProcs, 2);
  EXPECT_EQ(a.checksum, b.checksum);
}

// poisson.png: one pixel per grid point (3-D: the middle slice), in colour;
// grids over 2048 per side are averaged over f x f blocks. The solution is
// zero on the boundary and largest inside, so the corners and the centre
// differ.
TEST(PoissonTest, WritesThePictureOfTheSolution) {
  struct Case {
    std::string dim, n, maxiter;
    int side;
  };
  for (const Case& c : {Case{"2", "48", "", 48}, Case{"3", "12", "", 12},
                        Case{"2", "2100", "1", 1050}}) {
    DemoConfig cfg;
    cfg.size = "test";
    cfg.params["dim"] = c.dim;
    cfg.params["n"] = c.n;
    cfg.params["stream"] = "0";
    if (!c.maxiter.empty()) cfg.params["maxiter"] = c.maxiter;
    auto w = MakePoisson(cfg);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(test_support::MeasureOnce(**w, Engine::kThreads, 1, 2).ok());
    const std::filesystem::path dir =
        std::filesystem::path(::testing::TempDir()) /
        ("krg_poisson_png_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    ASSERT_TRUE((*w)->WriteArtifacts(dir).ok());
    const cv::Mat img = cv::imread((dir / "poisson.png").string());
    std::filesystem::remove_all(dir);
    ASSERT_FALSE(img.empty()) << c.n;
    EXPECT_EQ(img.cols, c.side) << c.n;
    EXPECT_EQ(img.rows, c.side) << c.n;
    EXPECT_EQ(img.channels(), 3);
    if (c.maxiter.empty()) {
      EXPECT_NE(img.at<cv::Vec3b>(0, 0),
                img.at<cv::Vec3b>(c.side / 2, c.side / 2))
          << c.n;
    }
  }
}

TEST(PoissonTest, TooFewIterationsDoesNotVerify) {
  DemoConfig cfg;
  cfg.size = "test";
  cfg.params["maxiter"] = "5";
  auto w = MakePoisson(cfg);
  ASSERT_TRUE(w.ok());
  auto m = test_support::MeasureOnce(**w, Engine::kThreads, 1, 1);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->verification.ok);
  EXPECT_NE(m->verification.detail.find("NOT converge"), std::string::npos);
}

TEST(PoissonTest, BadParamsAreInvalidArguments) {
  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"dim", "4"},
                                                        {"n", "1"},
                                                        {"n", "abc"},
                                                        {"tol", "0"},
                                                        {"precond", "ilu"},
                                                        {"maxiter", "-3"},
                                                        {"stream", "2"},
                                                        {"colour", "red"}}) {
    DemoConfig cfg;
    cfg.size = "test";
    cfg.params[k] = v;
    auto w = MakePoisson(cfg);
    ASSERT_FALSE(w.ok()) << k << "=" << v;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument) << k;
  }
}

}  // namespace
}  // namespace krg::demos
