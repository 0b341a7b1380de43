/* tessera: command-line entry point (placeholder until the commands land). */
#include <stdio.h>
int main(void) { puts("tessera: not built yet"); return 1; }
