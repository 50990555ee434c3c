/* Printing the controller's decisions: an aligned table, or JSON (jansson). */
#ifndef VIPCAST_CONTROLLER_REPORT_H
#define VIPCAST_CONTROLLER_REPORT_H

#include <stdio.h>

#include "reconcile.h"

/* {"services":[{"namespace":..,"name":..,"ips":[..],"pool":..,"error":..}]} */
void report_json(FILE *out, const struct svc_outcome *v, size_t n);
void report_table(FILE *out, const struct svc_outcome *v, size_t n);

#endif
