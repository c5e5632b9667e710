/* cmd_export.c — placeholder until the export command lands (branch mailio only). */
#include "cli.h"

int cmd_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("export: not built yet");
}
