/*
 * Loading configuration sources into a struct config: YAML files and
 * directories (file mode) and JSON text (objects as the API server sends them).
 * Both go through doc trees and object_read(), so they accept and refuse
 * exactly the same objects.
 */
#ifndef VIPCAST_CONFIG_LOAD_H
#define VIPCAST_CONFIG_LOAD_H

#include "config.h"

/*
 * Adds every object of a YAML stream. Each document is one object or a List
 * (kind: List, or FooList) of them. Objects of kinds vipcast does not read are
 * counted in *ignored (may be NULL). False when anything was refused.
 */
bool config_load_yaml(struct config *c, const char *name, const char *buf, size_t len,
		      struct diags *d, size_t *ignored);
bool config_load_json(struct config *c, const char *name, const char *buf, size_t len,
		      struct diags *d, size_t *ignored);
/*
 * Objects made by the program itself (kube-ovn-speaker's command line makes
 * BGPPeers, ovn_flags.h), as JSON text read before path's at every
 * config_load_path(). Set once, before any load; both strings must stay.
 */
void config_set_builtin(const char *name, const char *json);
/* Those objects' JSON (NULL: none), and their name for diagnostics: Kubernetes mode adds them to each build. */
const char *config_builtin(const char **name);
/* A file, or every *.yaml, *.yml and *.json file directly in a directory, in name order. */
bool config_load_path(struct config *c, const char *path, struct diags *d, size_t *ignored);
/* Whether the directory loader reads an entry of that name: *.yaml, *.yml, *.json, not hidden. */
bool config_reads_name(const char *name);

/* Loads path and validates; NULL (with the reasons in d) unless it is all valid. */
struct config *config_read(const char *path, struct diags *d, size_t *ignored);

#endif
