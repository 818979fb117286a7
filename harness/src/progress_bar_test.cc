#include "krg/progress_bar.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "krg/runner.h"

namespace krg {
namespace {

TEST(ProgressBarTest, RendersBarPercentDetailAndTimeLeft) {
  EXPECT_EQ(ProgressBar::Render("mandelbrot", 4.1, 0.5, "pass 3 of 10", 3.8,
                                /*bar=*/true),
            "mandelbrot [##########----------]  50% · pass 3 of 10 · 4.1 s "
            "· ~3.8 s left");
}

TEST(ProgressBarTest, PlainLinesHaveNoBarAndUnknownsAreLeftOut) {
  EXPECT_EQ(ProgressBar::Render("poisson", 12, -1, "iteration 40", -1,
                                /*bar=*/false),
            "poisson · iteration 40 · 12.0 s");
  EXPECT_EQ(ProgressBar::Render("x", 2, 1.7, "", -1, /*bar=*/false),
            "x 100% · 2.0 s");
}

TEST(ProgressBarTest, DurationsReadAsMinutesAndHours) {
  EXPECT_EQ(FormatDuration(65), "1 min 05 s");
  EXPECT_EQ(FormatDuration(3725), "1 h 02 min");
  EXPECT_EQ(FormatDuration(-3), "0.0 s");
}

// Not a terminal: one plain line per call at most every ten seconds, each
// ending in a newline (no carriage return, no escape), nothing under 1 s.
TEST(ProgressBarTest, WritesPlainPeriodicLinesWhenNotATerminal) {
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&text, &size);
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("run", /*terminal=*/false, f);
    bar.Show(0.5, 0.1, "", -1);  // too early
    bar.Show(1.5, 0.2, "pass 1 of 3", 6);
    bar.Show(1.6, 0.3, "pass 1 of 3", 5);  // within ten seconds: skipped
  }
  std::fclose(f);
  const std::string out(text, size);
  std::free(text);
  EXPECT_EQ(out, "krgdemo: run  20% · pass 1 of 3 · 1.5 s · ~6.0 s left\n");
}

TEST(ProgressBarTest, RedrawsOneLineInPlaceOnATerminal) {
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&text, &size);
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("run", /*terminal=*/true, f);
    bar.Show(1.5, 0.25, "", -1);
  }  // the destructor erases the line
  std::fclose(f);
  const std::string out(text, size);
  std::free(text);
  EXPECT_EQ(out, "\r\033[K  run [#####---------------]  25% · 1.5 s\r\033[K");
}

// Issue 20: the time left of a run. A warm-up of 2 s with 9 of 10 timed
// passes to go at 2 s each, under no budget: 18 s after the warm-up's rest.
TEST(EstimateProgressTest, CountsThePassesStillToCome) {
  Progress p;
  p.pass = 1;
  p.done = 50;
  p.total = 100;
  p.passes = 10;
  p.passes_fixed = true;
  p.elapsed_s = 3;
  p.pass_elapsed_s = 1;
  p.last_pass_s = 2;
  const ProgressEstimate e = EstimateProgress(p);
  EXPECT_DOUBLE_EQ(e.left_s, 1 + 9 * 2);
  EXPECT_DOUBLE_EQ(e.fraction, 3.0 / 22.0);
}

// An adaptive run starts no pass once its budget is spent.
TEST(EstimateProgressTest, StopsAtTheTimeBudget) {
  Progress p;
  p.pass = 2;
  p.done = 0;
  p.total = 10;
  p.passes = 10;
  p.budget_s = 20;
  p.elapsed_s = 14;
  p.last_pass_s = 4;
  // This pass ends at 18 s; one more starts before 20 s and ends at 22 s.
  EXPECT_DOUBLE_EQ(EstimateProgress(p).left_s, 4 + 4);
}

TEST(EstimateProgressTest, UnknownBeforeAnyPaceIsKnown) {
  Progress p;
  p.passes = 10;
  p.total = 100;
  p.done = 1;  // 1%: too little to judge a pace by
  p.pass_elapsed_s = 0.5;
  EXPECT_LT(EstimateProgress(p).left_s, 0);
  p.done = 25;  // a quarter of the first pass in 0.5 s: 2 s a pass
  p.elapsed_s = 0.5;
  EXPECT_DOUBLE_EQ(EstimateProgress(p).left_s, 1.5 + 10 * 2);
}

}  // namespace
}  // namespace krg
