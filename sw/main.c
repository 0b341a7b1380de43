/* tessera: the command-line tool. One subcommand per file in sw/cmd_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} command;

static const command COMMANDS[] = {
    {"train", ts_cmd_train, "train the CNN on a dataset (writes out/model.safetensors)"},
    {"eval", ts_cmd_eval, "accuracy of a saved model on a dataset split"},
    {"profile", ts_cmd_profile, "layer table, MACs, inference/training memory, quantized storage"},
    {"quant", ts_cmd_quant, "accuracy vs weight bits (per-tensor, per-channel) and storage"},
    {"prune", ts_cmd_prune, "accuracy vs magnitude pruning, per layer, vs MACs; bits x pruning grid"},
    {"plots", ts_cmd_plots, "weight histograms of every layer and the training curve"},
    {"report", ts_cmd_report, "OUT/report.md from what the other commands wrote"},
    {"hw-run", ts_cmd_hwrun, "the integer CNN on the simulated accelerator: cycles, utilization, accuracy"},
    {"sys-run", ts_cmd_sysrun, "the integer CNN on the system model (DRAM, DMA, double buffering): cycles and bytes by kind"},
    {"hw-sweep", ts_cmd_hwsweep, "bits x scheme x sparsity on the RTL: cycles, speedup, weight memory, accuracy"},
    {"codesign", ts_cmd_codesign, "per-layer bits and sparsity within an accuracy budget, fewest RTL cycles"},
    {"run", ts_cmd_run, "the whole pipeline: train, profile, quant, prune, plots, report"},
};

static void usage(FILE *to) {
  fprintf(to,
          "usage: tessera <command> [options]   (tessera <command> --help for details)\n"
          "Tessera: quantized and sparse CNN accelerator co-design, from a C reference\n"
          "model to a Verilator-simulated INT MAC array.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    fprintf(to, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  /* libgomp reads OMP_WAIT_POLICY when it loads, before main. Spinning
   * worker threads lose badly on 2 shared cores (measured: 2,392 vs 6,813
   * training images/s under load), so sleep-waiting is the default; re-exec
   * once with it set unless the user chose a policy. */
  if (!getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv); /* on failure just carry on */
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  ts_cli_select_blas();
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (!strcmp(argv[1], COMMANDS[i].name))
      return COMMANDS[i].run(argc - 1, argv + 1);
  fprintf(stderr, "tessera: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
