// Scale-out of the sweeps (sw/slurm.c): the `tessera` binary on a tiny
// generated model and IDX data set.
// - Without Slurm: slices of quant, prune, hw-sweep and a multi-seed train
//   run one by one and
//   merged give the CSVs a single-machine run gives; a rerun slice
//   recomputes nothing; a missing slice stops the merge naming the task to
//   resubmit; the job scripts; bad --slurm options.
// - On a real one-node Slurm (tests/slurm/local_cluster.sh, skipped when
//   slurm-wlm/munge are not installed or not root): quant and hw-sweep go
//   through sbatch (job array + afterok merge), and train --seeds; a deleted quant task is
//   resubmitted alone, and the merged CSVs equal the single-machine ones.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "cli_harness.h"
#include "test_handles.h"
#include "ts_net.h"
#include "ts_weights.h"

namespace {

using namespace ts_cli_test;

constexpr int kTest = 40;  // test images

// The CSV's rows split in fields.
std::vector<std::vector<std::string>> CsvRows(const fs::path &p) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(ReadText(p));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    rows.push_back(f);
  }
  return rows;
}

// Every byte of the two sweep CSVs is equal except the `seconds` column
// (how long a point took, different in every run); says where they differ.
testing::AssertionResult SameSweepCsv(const fs::path &a, const fs::path &b) {
  const auto ra = CsvRows(a), rb = CsvRows(b);
  if (ra.empty()) return testing::AssertionFailure() << a << " is empty or missing";
  if (ra.size() != rb.size())
    return testing::AssertionFailure() << a << " has " << ra.size() << " lines, " << b
                                       << " has " << rb.size();
  if (ra[0] != rb[0]) return testing::AssertionFailure() << "the headers differ";
  int secs = -1;
  for (size_t c = 0; c < ra[0].size(); c++)
    if (ra[0][c] == "seconds") secs = static_cast<int>(c);
  for (size_t r = 1; r < ra.size(); r++) {
    if (ra[r].size() != rb[r].size())
      return testing::AssertionFailure() << "line " << r + 1 << ": field counts differ";
    for (size_t c = 0; c < ra[r].size(); c++)
      if (static_cast<int>(c) != secs && ra[r][c] != rb[r][c])
        return testing::AssertionFailure()
               << "line " << r + 1 << ", column " << ra[0][c] << ": '" << ra[r][c] << "' in "
               << a << " vs '" << rb[r][c] << "' in " << b;
  }
  return testing::AssertionSuccess();
}

class Slurm : public testing::Test {
 protected:
  void SetUp() override {
    bin_ = TesseraBin();
    if (bin_.empty()) GTEST_SKIP() << "no tessera binary (set TESSERA_BIN)";
    dir_ = FreshTestDir("tessera_slurm");
    const IdxSet train = EasyIdx(24, 28, 28), test = EasyIdx(kTest, 28, 28);
    WriteIdx(dir_ / "data", "train", train);
    WriteIdx(dir_ / "data", "t10k", test);
    ts_arch a;
    ts_arch_default(&a, 1, 28, 28, 10);
    const ts_test::NetPtr net = ts_test::MakeNet(a, 7);
    ASSERT_NE(net, nullptr);
    const ts_st_meta meta[] = {{"tessera.dataset", "fashion-mnist"},
                               {"tessera.norm", "0.5/0.25"}};
    ts_error err = {};
    ASSERT_EQ(ts_weights_save(net.get(), (dir_ / "model.safetensors").c_str(), meta, 2, &err),
              TS_OK) << err.msg;
  }
  void TearDown() override {
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }
  // quant on 3 bit widths x 2 schemes + FP32 = 7 points, into out/OUT.
  std::vector<std::string> Quant(const std::string &out) {
    return {"quant", "--model", "model.safetensors", "--data", "data", "--bits", "2-4",
            "--threads", "1", "--out", out};
  }
  // hw-sweep on 2 bits x 2 sparsities, into out/OUT (no timing column)
  std::vector<std::string> HwSweep(const std::string &out) {
    return {"hw-sweep", "--model", "model.safetensors", "--data", "data", "--bits", "2,8",
            "--scheme", "per-channel", "--sparsity", "0,50", "--calib", "16", "--rtl-images",
            "3", "--batch", "2", "--threads", "1", "--out", out};
  }
  // train on 3 seeds, one epoch each, into out/OUT
  std::vector<std::string> Seeds(const std::string &out) {
    return {"train", "--data", "data", "--epochs", "1", "--batch", "8", "--threads", "1",
            "--seeds", "3,5-6", "--quiet", "--out", out};
  }
  RunResult Run(std::vector<std::string> args, std::vector<std::string> more = {},
                double timeout = 60) {
    args.insert(args.end(), more.begin(), more.end());
    return RunIn(bin_, dir_, args, timeout);
  }
  // A plot may fail (exit 1) only because gnuplot is missing.
  static testing::AssertionResult Ran(const RunResult &r) {
    if (r.exited && (r.code == 0 || (r.code == 1 && r.err.find("gnuplot") != std::string::npos)) &&
        r.err.find("Sanitizer") == std::string::npos)
      return testing::AssertionSuccess();
    return testing::AssertionFailure() << r.Describe();
  }
  fs::path bin_, dir_;
};

TEST_F(Slurm, SlicesMergedLocallyEqualTheSingleMachineRun) {
  ASSERT_TRUE(Ran(Run(Quant("single"))));
  for (int i = 0; i < 3; i++) {
    const RunResult r = Run(Quant("sliced"), {"--slice", std::to_string(i) + "/3", "--parts", "parts"});
    ASSERT_TRUE(Succeeds(r));
    EXPECT_TRUE(fs::exists(dir_ / "parts" / ("quant.slice-" + std::to_string(i) + "-of-3.csv")));
    // points 0..6: slice i holds i, i+3, ...
    EXPECT_EQ(CsvRows(dir_ / "parts" / ("quant.slice-" + std::to_string(i) + "-of-3.csv")).size(),
              1u + (i == 0 ? 3 : 2)) << "slice " << i;
    EXPECT_FALSE(fs::exists(dir_ / "sliced" / "quant.csv")) << "a task writes only its part";
  }
  // a slice run again reads its points back: the part is unchanged (its
  // `seconds` too, which a recomputation would change)
  const std::string part1 = ReadText(dir_ / "parts" / "quant.slice-1-of-3.csv");
  const RunResult again = Run(Quant("sliced"), {"--slice", "1/3", "--parts", "parts"});
  ASSERT_TRUE(Succeeds(again));
  EXPECT_NE(again.out.find("0 of 2 points evaluated, 2 reused"), std::string::npos) << again.out;
  EXPECT_EQ(ReadText(dir_ / "parts" / "quant.slice-1-of-3.csv"), part1);

  ASSERT_TRUE(Ran(Run(Quant("sliced"), {"--merge", "parts"})));
  EXPECT_TRUE(SameSweepCsv(dir_ / "single" / "quant.csv", dir_ / "sliced" / "quant.csv"));
  EXPECT_EQ(ReadText(dir_ / "single" / "quant_memory.csv"),
            ReadText(dir_ / "sliced" / "quant_memory.csv"));
  // idempotent: merging again gives the same bytes
  const std::string merged = ReadText(dir_ / "sliced" / "quant.csv");
  ASSERT_TRUE(Ran(Run(Quant("sliced"), {"--merge", "parts"})));
  EXPECT_EQ(ReadText(dir_ / "sliced" / "quant.csv"), merged);

  // a lost part: the merge fails, names the task, and leaves the CSV alone
  fs::remove(dir_ / "parts" / "quant.slice-2-of-3.csv");
  const RunResult lost = Run(Quant("sliced"), {"--merge", "parts", "--no-resume"});
  EXPECT_TRUE(FailsCleanly(lost, kExitRuntime, "unfinished tasks: 2 (resubmit them with: submit.sh 2"));
  EXPECT_EQ(ReadText(dir_ / "sliced" / "quant.csv"), merged);
}

TEST_F(Slurm, PruneSlicesMergedEqualTheSingleMachineRun) {
  // 1 base + 2 all-layer + 2 one-layer + 2 grid points
  const std::vector<std::string> prune = {"prune", "--model", "model.safetensors", "--data",
                                          "data", "--percent", "0,50,90", "--layer", "conv2",
                                          "--grid-bits", "4", "--grid-percent", "0,75",
                                          "--threads", "1", "--out"};
  ASSERT_TRUE(Ran(Run(prune, {"single"})));
  for (int i = 0; i < 2; i++)
    ASSERT_TRUE(Succeeds(Run(prune, {"sliced", "--slice", std::to_string(i) + "/2", "--parts",
                                     "parts"})));
  ASSERT_TRUE(Ran(Run(prune, {"sliced", "--merge", "parts"})));
  EXPECT_EQ(CsvRows(dir_ / "single" / "prune.csv").size(), 8u);
  EXPECT_TRUE(SameSweepCsv(dir_ / "single" / "prune.csv", dir_ / "sliced" / "prune.csv"));
  EXPECT_EQ(ReadText(dir_ / "single" / "prune_observation.txt"),
            ReadText(dir_ / "sliced" / "prune_observation.txt"));
}

TEST_F(Slurm, HwSweepSlicesMergedEqualTheSingleMachineRunByteForByte) {
  ASSERT_TRUE(Ran(Run(HwSweep("single"), {}, 300)));
  for (int i = 0; i < 2; i++)
    ASSERT_TRUE(Succeeds(Run(HwSweep("sliced"), {"--slice", std::to_string(i) + "/2",
                                                 "--parts", "parts"}, 300)));
  EXPECT_FALSE(fs::exists(dir_ / "sliced" / "hw_sweep.json")) << "a task writes only its part";
  const RunResult merged = Run(HwSweep("sliced"), {"--merge", "parts"}, 300);
  ASSERT_TRUE(Ran(merged));
  EXPECT_NE(merged.out.find("4 points resumed"), std::string::npos) << merged.out;
  for (const char *f : {"hw_sweep.csv", "hw_wmem.csv", "hw_crossover.csv"}) {
    const std::string want = ReadText(dir_ / "single" / f);
    EXPECT_FALSE(want.empty()) << f;
    EXPECT_EQ(ReadText(dir_ / "sliced" / f), want) << f << " differs from the single run's";
  }
  const RunResult jobs = Run(HwSweep("out"), {"--slurm", "jobs", "--slurm-tasks", "2"});
  ASSERT_TRUE(Succeeds(jobs));
  EXPECT_NE(ReadText(dir_ / "jobs" / "array.sbatch").find(" hw-sweep --model "), std::string::npos);
}

TEST_F(Slurm, TrainSeedsSlicedAndMergedEqualTheSingleMachineRun) {
  const RunResult single = Run(Seeds("single"), {}, 120);
  ASSERT_TRUE(Succeeds(single));
  const auto rows = CsvRows(dir_ / "single" / "train_seeds.csv");
  ASSERT_EQ(rows.size(), 4u) << ReadText(dir_ / "single" / "train_seeds.csv");
  for (const char *seed : {"3", "5", "6"})
    EXPECT_TRUE(fs::exists(dir_ / "single" / ("seed-" + std::string(seed)) / "model.safetensors"))
        << "seed " << seed;
  // seeds differ: different initial weights give different final losses
  EXPECT_NE(rows[1].at(rows[0].size() - 4), rows[2].at(rows[0].size() - 4));
  for (int i = 0; i < 2; i++)
    ASSERT_TRUE(Succeeds(Run(Seeds("sliced"), {"--slice", std::to_string(i) + "/2", "--parts",
                                               "parts"}, 120)));
  EXPECT_EQ(CsvRows(dir_ / "parts" / "train.slice-0-of-2.csv").size(), 3u) << "seeds 3 and 6";
  EXPECT_FALSE(fs::exists(dir_ / "sliced" / "train_seeds.csv")) << "a task writes only its part";
  const RunResult merged = Run(Seeds("sliced"), {"--merge", "parts"});
  ASSERT_TRUE(Succeeds(merged));
  EXPECT_NE(merged.out.find("3 already trained"), std::string::npos) << merged.out;
  for (const char *f : {"train_seeds.csv", "train_seeds_summary.csv"})
    EXPECT_EQ(ReadText(dir_ / "sliced" / f), ReadText(dir_ / "single" / f))
        << f << " differs from the single run's";
  // a rerun trains nothing; another recipe (more epochs) trains every seed
  const RunResult again = Run(Seeds("single"));
  ASSERT_TRUE(Succeeds(again));
  EXPECT_NE(again.out.find("3 already trained"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("== seed"), std::string::npos) << again.out;
  // usage errors
  EXPECT_TRUE(FailsCleanly(Run({"train", "--slurm", "j"}), kExitUsage, "give --seeds"));
  for (const char *bad : {"3,3", "5-2", "1,", "x", "-1", "1-2000"})
    EXPECT_TRUE(FailsCleanly(Run({"train", "--seeds", bad}), kExitUsage, "--seeds")) << bad;
}

TEST_F(Slurm, JobScriptsCarryTheCommandAndTheOptions) {
  const RunResult r = Run(Quant("out"), {"--slurm", "jobs", "--slurm-tasks", "3",
                                         "--slurm-throttle", "2", "--slurm-partition", "debug,long",
                                         "--slurm-time", "0-01:30", "--slurm-account", "arch_lab",
                                         "--slurm-cpus", "4"});
  ASSERT_TRUE(Succeeds(r));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "quant.csv")) << "--slurm evaluates nothing";
  const std::string arr = ReadText(dir_ / "jobs" / "array.sbatch");
  const std::string mrg = ReadText(dir_ / "jobs" / "merge.sbatch");
  const std::string sub = ReadText(dir_ / "jobs" / "submit.sh");
  for (const char *want : {"#SBATCH --array=0-2%2\n", "#SBATCH --cpus-per-task=4\n",
                           "#SBATCH --partition=debug,long\n", "#SBATCH --time=0-01:30\n",
                           "#SBATCH --account=arch_lab\n", " quant --model model.safetensors "
                           "--data data --bits 2-4 --threads 1 --out out --slice "
                           "\"$SLURM_ARRAY_TASK_ID/3\" --parts "})
    EXPECT_NE(arr.find(want), std::string::npos) << "array.sbatch lacks " << want << ":\n" << arr;
  const std::string exec = arr.substr(arr.find("\nexec "));
  EXPECT_EQ(exec.find("--slurm"), std::string::npos) << "the tasks must not write jobs: " << exec;
  EXPECT_NE(mrg.find(" --out out --merge "), std::string::npos) << mrg;
  EXPECT_NE(mrg.find("#SBATCH --kill-on-invalid-dep=yes"), std::string::npos) << mrg;
  EXPECT_EQ(mrg.find("--array"), std::string::npos) << mrg;
  EXPECT_NE(sub.find("--dependency=afterok:"), std::string::npos) << sub;
  EXPECT_NE(sub.find("--array=$1%2"), std::string::npos) << sub;
  EXPECT_NE(arr.find("#SBATCH --chdir=" + fs::canonical(dir_).string() + "\n"), std::string::npos)
      << arr;
}

TEST_F(Slurm, BadOptionsGiveClearErrors) {
  const struct {
    std::vector<std::string> more;
    const char *key;
  } cases[] = {
      {{"--slurm", "j", "--slurm-throttle", "0"}, "--slurm-throttle 0 would let no task run"},
      {{"--slurm", "j", "--slurm-tasks", "0"}, "--slurm-tasks 0"},
      {{"--slurm", "j", "--slurm-cpus", "-2"}, "--slurm-cpus"},
      {{"--slurm", "j", "--slurm-partition", "gpu;rm"}, "partition names"},
      {{"--slurm", "j", "--slurm-partition", "a,,b"}, "partition names"},
      {{"--slurm", "j", "--slurm-account", "x y"}, "Slurm name"},
      {{"--slurm", "j", "--slurm-time", "1:2:3:4"}, "time limit"},
      {{"--slurm", "j", "--slurm-time", "0"}, "non-zero"},
      {{"--slurm-partition", "debug"}, "--slurm-partition needs --slurm DIR"},
      {{"--slurm", "j", "--merge", "p"}, "exclude each other"},
      {{"--slice", "1/3"}, "--slice I/N and --parts DIR go together"},
      {{"--slice", "3/3", "--parts", "p"}, "0 <= I < N"},
      {{"--slurm", ""}, "not empty"},
  };
  for (const auto &c : cases) {
    const RunResult r = Run(Quant("out"), c.more);
    EXPECT_TRUE(FailsCleanly(r, kExitUsage, c.key));
  }
  EXPECT_FALSE(fs::exists(dir_ / "j")) << "a usage error writes nothing";
  const RunResult none = Run(Quant("out"), {"--merge", "nowhere"});
  EXPECT_TRUE(FailsCleanly(none, kExitRuntime, "--merge nowhere"));
  const RunResult help = Run({"quant", "--help"});
  EXPECT_NE(help.out.find("--slurm-throttle N"), std::string::npos) << help.out;
}

// ---- On a real Slurm ------------------------------------------------------

// Why a real cluster cannot come up here ("" when it can).
std::string NoSlurm() {
  if (getuid() != 0) return "not root (slurmd runs jobs as their user)";
  for (const char *t : {"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged",
                        "/usr/bin/sbatch"})
    if (access(t, X_OK) != 0)
      return std::string(t) + " not installed (apt-get install -y slurm-wlm munge)";
  return "";
}

TEST_F(Slurm, SweepThroughSbatchEqualsTheSingleMachineRun) {
  const std::string why = NoSlurm();
  if (!why.empty()) GTEST_SKIP() << "Slurm test skipped: " << why;
  const fs::path slurm = fs::absolute("tests/slurm");
  ASSERT_TRUE(fs::exists(slurm / "local_cluster.sh")) << "run from the repository root";
  ASSERT_TRUE(Ran(Run(Quant("single"))));
  ASSERT_TRUE(Ran(Run(HwSweep("single"), {}, 300)));

  // Inside one cluster's life (stopped by local_cluster.sh, also on error):
  // quant and hw-sweep through sbatch, then quant's task 1 lost and
  // resubmitted alone.
  ASSERT_TRUE(Succeeds(Run(Seeds("single"), {}, 120)));
  std::string cmd, hw, seeds;
  for (const auto &a : Quant("cluster")) cmd += " '" + a + "'";
  for (const auto &a : HwSweep("cluster")) hw += " '" + a + "'";
  for (const auto &a : Seeds("cluster")) seeds += " '" + a + "'";
  std::ofstream(dir_ / "steps.sh")
      << "set -eux\n"
      << "'" << bin_.string() << "'" << cmd
      << " --slurm jobs --slurm-tasks 3 --slurm-throttle 2 --slurm-time 5 --slurm-submit\n"
      << "'" << bin_.string() << "'" << hw << " --slurm hwjobs --slurm-tasks 2 --slurm-submit\n"
      << "'" << bin_.string() << "'" << seeds << " --slurm seedjobs --slurm-submit\n"
      << "'" << (slurm / "wait_jobs.sh").string() << "' jobs 40\n"
      << "'" << (slurm / "wait_jobs.sh").string() << "' hwjobs 60\n"
      << "'" << (slurm / "wait_jobs.sh").string() << "' seedjobs 60\n"
      << "cp cluster/quant.csv first.csv\n"
      << "stat -c %i jobs/parts/quant.slice-0-of-3.csv >inode0\n"
      << "rm jobs/parts/quant.slice-1-of-3.csv\n"
      << "jobs/submit.sh 1\n"
      << "'" << (slurm / "wait_jobs.sh").string() << "' jobs 40\n";
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const RunResult r = RunIn("/bin/bash", dir_, {(slurm / "local_cluster.sh").string(), "run",
                                                "bash", "steps.sh"}, 150);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  std::printf("  local cluster + 3 submissions: %.1f s\n",
              (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
  for (const auto &l : r.ErrLines())  // the cluster's start-up time
    if (l.find("idle after") != std::string::npos) std::printf("  %s\n", l.c_str());
  {
    std::istringstream in(r.out);  // the submissions' times, from wait_jobs.sh
    for (std::string l; std::getline(in, l);)
      if (l.find("done after") != std::string::npos) std::printf("  %s\n", l.c_str());
  }
  std::string logs;
  for (const char *d : {"jobs", "hwjobs", "seedjobs"})
    for (const auto &f : ListDir(dir_ / d / "logs"))
      logs += "\n--- " + f + "\n" + ReadText(dir_ / d / "logs" / f);
  ASSERT_TRUE(r.exited && r.code == 0) << r.Describe() << "\njob logs:" << logs;
  EXPECT_TRUE(SameSweepCsv(dir_ / "single" / "quant.csv", dir_ / "first.csv"));
  EXPECT_TRUE(SameSweepCsv(dir_ / "single" / "quant.csv", dir_ / "cluster" / "quant.csv"));
  for (const char *f : {"hw_sweep.csv", "hw_wmem.csv", "hw_crossover.csv"}) {
    const std::string want = ReadText(dir_ / "single" / f);
    EXPECT_FALSE(want.empty()) << f;
    EXPECT_EQ(ReadText(dir_ / "cluster" / f), want) << f << " differs from the single run's";
  }
  EXPECT_EQ(ReadText(dir_ / "single" / "quant_memory.csv"),
            ReadText(dir_ / "cluster" / "quant_memory.csv"));
  for (const char *f : {"train_seeds.csv", "train_seeds_summary.csv"})
    EXPECT_EQ(ReadText(dir_ / "cluster" / f), ReadText(dir_ / "single" / f))
        << f << " of the Slurm run differs from the single run's";
  // the resubmission ran task 1 only: task 0's part was not rewritten (an
  // atomic rewrite renames a new file over it: another inode)
  struct stat st = {};
  ASSERT_EQ(stat((dir_ / "jobs" / "parts" / "quant.slice-0-of-3.csv").c_str(), &st), 0);
  EXPECT_EQ(std::to_string(st.st_ino) + "\n", ReadText(dir_ / "inode0"));
  EXPECT_TRUE(fs::exists(dir_ / "jobs" / "parts" / "quant.slice-1-of-3.csv"));
}

}  // namespace
