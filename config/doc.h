/*
 * A parsed document as a tree of maps, sequences and scalars, each with the
 * place it came from.
 *
 * Both sources feed this one tree: the YAML reader (libyaml, with real
 * file:line:col marks) and the JSON reader (jansson, for objects from the API
 * server, with no lines). Object decoders only ever see this tree, so a
 * Service read from a file and one read from the API server pass through the
 * same code and the same checks.
 *
 * Scalars keep their text. A plain (unquoted) YAML scalar is resolved only when
 * a decoder asks for a type, the way Kubernetes' YAML-to-JSON step resolves it:
 * a JSON number or boolean arrives as a plain scalar, a JSON string as a quoted one.
 */
#ifndef VIPCAST_CONFIG_DOC_H
#define VIPCAST_CONFIG_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

enum doc_type { DOC_NULL, DOC_SCALAR, DOC_MAP, DOC_SEQ };

struct doc_node;

struct doc_pair {
	struct doc_node *key;  /* always a scalar */
	struct doc_node *value;
};

struct doc_node {
	enum doc_type type;
	struct mark mark;
	union {
		struct {
			const char *text;  /* NUL-terminated, may also contain NULs: use len */
			size_t len;
			bool quoted;
		} scalar;
		struct {
			struct doc_pair *v;
			size_t n;
		} map;
		struct {
			struct doc_node **v;
			size_t n;
		} seq;
	};
};

/* What a scalar means once resolved (YAML 1.1 as Kubernetes' YAML reader uses it). */
enum doc_scalar_kind { DSK_STRING, DSK_INT, DSK_FLOAT, DSK_BOOL, DSK_NULL };

/* One document of a source. All nodes live in the arena. */
struct doc {
	struct arena arena;
	struct doc_node *root;
	const char *file;  /* in the arena */
};

/* Limits that keep hostile input from costing more than its size. */
#define DOC_MAX_DEPTH 64
#define DOC_MAX_FILE_SIZE (16u << 20)
/* libyaml looks anchors up in a list: more than this in one YAML document is refused. */
#define DOC_MAX_ANCHORS 100

enum doc_scalar_kind doc_scalar_kind(const struct doc_node *n);
/* For DSK_BOOL scalars. */
bool doc_scalar_bool(const struct doc_node *n);
/* Parses DSK_INT text (sign, decimal, 0x, 0o, 0b, '_' separators); false on overflow. */
bool doc_scalar_int(const struct doc_node *n, int64_t *v);
const char *doc_type_name(const struct doc_node *n);
const struct doc_node *doc_map_get(const struct doc_node *map, const char *key);
bool doc_scalar_is(const struct doc_node *n, const char *s);

/*
 * Reads every document of a YAML stream. Calls fn for each with a document it
 * then owns (free with doc_free). Syntax errors go to diags with their mark;
 * returns false if any. Documents before an error are still handed out.
 */
bool doc_read_yaml(const char *file, const char *buf, size_t len, struct diags *diags,
		   void (*fn)(struct doc *d, void *arg), void *arg);
/* One JSON value; same contract. */
bool doc_read_json(const char *source, const char *buf, size_t len, struct diags *diags,
		   void (*fn)(struct doc *d, void *arg), void *arg);
/*
 * A value jansson already parsed (an object from the API server) as a
 * document; NULL if it is nested deeper than DOC_MAX_DEPTH.
 */
struct json_t;
struct doc *doc_from_jansson(const char *source, const struct json_t *j);
void doc_free(struct doc *d);

/* Helpers for the readers. */
struct doc *doc_new(const char *file);
struct doc_node *doc_node_new(struct doc *d, enum doc_type t, uint32_t line, uint32_t col);

#endif
