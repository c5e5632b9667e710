/* cmd_import.c — placeholder until the import command lands (branch mailio only). */
#include "cli.h"

int cmd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("import: not built yet");
}
