/* Subcommands of the `tessera` tool; each returns the process exit code
 * (0 ok, 1 failure, 2 bad usage). */
#ifndef TS_COMMANDS_H
#define TS_COMMANDS_H

#ifdef __cplusplus
extern "C" {
#endif

int ts_cmd_train(int argc, char **argv);
int ts_cmd_eval(int argc, char **argv);
int ts_cmd_quant(int argc, char **argv);
int ts_cmd_prune(int argc, char **argv);
int ts_cmd_profile(int argc, char **argv);
int ts_cmd_plots(int argc, char **argv);
int ts_cmd_report(int argc, char **argv);
int ts_cmd_run(int argc, char **argv);
int ts_cmd_hwrun(int argc, char **argv);
int ts_cmd_sysrun(int argc, char **argv);
int ts_cmd_hwsweep(int argc, char **argv);
int ts_cmd_codesign(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* TS_COMMANDS_H */
