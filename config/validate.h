/* The parts of config_validate() that live in files of their own (config/validate_*.c). */
#ifndef VIPCAST_CONFIG_VALIDATE_H
#define VIPCAST_CONFIG_VALIDATE_H

#include "config.h"

/*
 * Every route the BGPAdvertisements can give one peer fits in one BGP
 * UPDATE, with the communities of all the advertisements that merge on it
 * (validate_sendable.c). Needs the communities resolved.
 */
void validate_sendable(const struct config *c, struct diags *d);

#endif
