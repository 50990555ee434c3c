/* A one-line summary per kind of a loaded configuration, for --check. */
#ifndef VIPCAST_CONFIG_SUMMARY_H
#define VIPCAST_CONFIG_SUMMARY_H

#include <stdio.h>

#include "config.h"

void config_print_summary(const struct config *c, FILE *out);

#endif
