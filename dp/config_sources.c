/* parnikd's options from a file, the environment and the command line
 * (see config_sources.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "config_sources.h"
#include "options.h"

/* Options that only the command line may give. */
static bool
flag_only(const char *name)
{
	return strcmp(name, "help") == 0 || strcmp(name, "version") == 0;
}

static bool
repeatable(const char *name)
{
	return strcmp(name, "member") == 0 || strcmp(name, "neighbour") == 0;
}

static const struct option *
find(const char *name, size_t len)
{
	for (const struct option *o = dp_options_table(); o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static int
add(struct dp_config_args *a, const char *name, const char *value, enum dp_config_source src,
    const char *raw)
{
	struct dp_config_entry *e;

	if (a->n == a->cap) {
		size_t cap = a->cap != 0 ? 2 * a->cap : 32;
		void *p = realloc(a->e, cap * sizeof(*a->e));

		if (p == NULL)
			return -1;
		a->e = p;
		a->cap = cap;
	}
	e = &a->e[a->n];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->source = src;
	if ((value != NULL && (e->value = strdup(value)) == NULL) ||
	    (raw != NULL && (e->raw = strdup(raw)) == NULL)) {
		free(e->value);
		return -1;
	}
	a->n++;
	return 0;
}

/* A switch's value in a file or the environment: true, false, or neither. */
static int
switch_value(const char *v)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (v[0] == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

/* One option from a file or the environment: <name> (known), <value>. */
static int
take(struct dp_config_args *a, const struct option *o, const char *value,
     enum dp_config_source src, const char *where, char *err, size_t errlen)
{
	if (o->has_arg == no_argument) {
		int on = switch_value(value);

		if (on < 0)
			return pk_errf(err, errlen, "%s: %s takes true or false, not '%s'", where,
				    o->name, value);
		return on != 0 && add(a, o->name, NULL, src, NULL) != 0
			       ? pk_errf(err, errlen, "out of memory") : 0;
	}
	if (value == NULL || value[0] == 0)
		return pk_errf(err, errlen, "%s: %s needs a value", where, o->name);
	return add(a, o->name, value, src, NULL) != 0 ? pk_errf(err, errlen, "out of memory") : 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

static int
read_file(struct dp_config_args *a, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], where[300];
	unsigned int no = 0;

	if (f == NULL)
		return pk_errf(err, errlen, "--config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *hash, *name, *value = NULL;
		size_t len;
		const struct option *o;

		no++;
		snprintf(where, sizeof(where), "%s:%u", path, no);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fclose(f);
			return pk_errf(err, errlen, "%s: line too long", where);
		}
		/* A comment starts a line or follows a space. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || isspace((unsigned char)hash[-1])) {
				*hash = 0;
				break;
			}
		s = trim(line);
		if (*s == 0)
			continue;
		name = s;
		len = strcspn(s, " \t=");
		if (s[len] != 0) {
			value = trim(s + len + (s[len] == '=' ? 1 : 0));
			if (*value == '=')
				value = trim(value + 1);
		}
		o = find(name, len);
		if (o == NULL || flag_only(o->name)) {
			fclose(f);
			name[len] = 0;
			return pk_errf(err, errlen, "%s: unknown option '%s'", where, name);
		}
		if (take(a, o, value, DP_SRC_FILE, where, err, errlen) != 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
read_env(struct dp_config_args *a, char *const *envp, char *err, size_t errlen)
{
	for (const struct option *o = dp_options_table(); o->name != NULL; o++) {
		char var[64], where[80];
		const char *value = NULL;
		size_t n = 0;

		if (flag_only(o->name))
			continue;
		n = (size_t)snprintf(var, sizeof(var), "PARNIKD_");
		for (const char *c = o->name; *c != 0 && n + 1 < sizeof(var); c++)
			var[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
		var[n] = 0;
		for (char *const *e = envp; e != NULL && *e != NULL; e++)
			if (strncmp(*e, var, n) == 0 && (*e)[n] == '=')
				value = *e + n + 1;
		if (value == NULL)
			continue;
		snprintf(where, sizeof(where), "$%s", var);
		if (repeatable(o->name)) {
			char copy[1024], *save = NULL;

			snprintf(copy, sizeof(copy), "%s", value);
			for (char *t = strtok_r(copy, " \t", &save); t != NULL;
			     t = strtok_r(NULL, " \t", &save))
				if (take(a, o, t, DP_SRC_ENV, where, err, errlen) != 0)
					return -1;
		} else if (take(a, o, value, DP_SRC_ENV, where, err, errlen) != 0) {
			return -1;
		}
	}
	return 0;
}

/* The command line: known options are noted with their values, anything
 * else is kept as it is for dp_options_parse to judge.
 */
static int
read_args(struct dp_config_args *a, int argc, char **argv, const char **config, char *err,
	  size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i], *eq;
		const struct option *o;
		size_t len;

		if (strncmp(w, "--", 2) != 0 || w[2] == 0) {
			if (add(a, NULL, NULL, DP_SRC_FLAG, w) != 0)
				return pk_errf(err, errlen, "out of memory");
			continue;
		}
		eq = strchr(w + 2, '=');
		len = eq != NULL ? (size_t)(eq - (w + 2)) : strlen(w + 2);
		if (len == 6 && strncmp(w + 2, "config", 6) == 0) {
			if (eq == NULL && i + 1 == argc)
				return pk_errf(err, errlen, "--config needs a file");
			*config = eq != NULL ? eq + 1 : argv[++i];
			continue;
		}
		if (strcmp(w, "--print-config") == 0) {
			a->print = true;
			continue;
		}
		o = find(w + 2, len);
		if (o == NULL) {
			if (add(a, NULL, NULL, DP_SRC_FLAG, w) != 0)
				return pk_errf(err, errlen, "out of memory");
			continue;
		}
		if (o->has_arg == required_argument && eq == NULL) {
			if (i + 1 == argc)
				return pk_errf(err, errlen, "--%s needs a value", o->name);
			if (add(a, o->name, argv[++i], DP_SRC_FLAG, NULL) != 0)
				return pk_errf(err, errlen, "out of memory");
		} else if (add(a, o->name, eq != NULL ? eq + 1 : NULL, DP_SRC_FLAG, NULL) != 0) {
			return pk_errf(err, errlen, "out of memory");
		}
	}
	return 0;
}

/* The highest source that sets <name>. */
static enum dp_config_source
top_source(const struct dp_config_args *a, const char *name)
{
	enum dp_config_source top = DP_SRC_FILE;

	for (size_t k = 0; k < a->n; k++)
		if (a->e[k].name != NULL && strcmp(a->e[k].name, name) == 0 && a->e[k].source > top)
			top = a->e[k].source;
	return top;
}

int
dp_config_merge(int argc, char **argv, char *const *envp, struct dp_config_args *out,
		char *err, size_t errlen)
{
	struct dp_config_args flags;
	const char *config = NULL;
	size_t kept = 0;

	memset(out, 0, sizeof(*out));
	memset(&flags, 0, sizeof(flags));
	if (read_args(&flags, argc, argv, &config, err, errlen) != 0)
		goto bad;
	out->print = flags.print;
	if (config != NULL) {
		snprintf(out->file, sizeof(out->file), "%s", config);
		if (read_file(out, config, err, errlen) != 0)
			goto bad;
	}
	if (read_env(out, envp, err, errlen) != 0)
		goto bad;
	for (size_t k = 0; k < flags.n; k++) {
		struct dp_config_entry *e = &flags.e[k];

		if (add(out, e->name, e->value, DP_SRC_FLAG, e->raw) != 0) {
			pk_errf(err, errlen, "out of memory");
			goto bad;
		}
	}
	dp_config_free(&flags);
	/* A lower source's entry gives way to a higher one's of that option. */
	for (size_t k = 0; k < out->n; k++) {
		struct dp_config_entry *e = &out->e[k];

		if (e->name != NULL && e->source < top_source(out, e->name)) {
			free(e->value);
			free(e->raw);
			continue;
		}
		out->e[kept++] = *e;
	}
	out->n = kept;
	out->argv = calloc(2 * out->n + 2, sizeof(*out->argv));
	if (out->argv == NULL) {
		pk_errf(err, errlen, "out of memory");
		goto bad;
	}
	out->argv[out->argc++] = argv[0];
	for (size_t k = 0; k < out->n; k++) {
		struct dp_config_entry *e = &out->e[k];
		char opt[64];

		if (e->raw != NULL) {
			out->argv[out->argc++] = e->raw;
			continue;
		}
		snprintf(opt, sizeof(opt), "--%s", e->name);
		/* The name's string lives in the table; "--name" needs its own. */
		out->argv[out->argc] = strdup(opt);
		if (out->argv[out->argc] == NULL) {
			pk_errf(err, errlen, "out of memory");
			goto bad;
		}
		e->raw = out->argv[out->argc++];
		if (e->value != NULL)
			out->argv[out->argc++] = e->value;
	}
	return 0;
bad:
	dp_config_free(&flags);
	dp_config_free(out);
	return -1;
}

void
dp_config_print(const struct dp_config_args *a, FILE *f)
{
	static const char *const from[] = { "file", "environment", "command line" };

	fprintf(f, "# parnikd options in force: command line > PARNIKD_* environment > file%s%s\n",
		a->file[0] != 0 ? " " : "", a->file);
	for (size_t k = 0; k < a->n; k++) {
		const struct dp_config_entry *e = &a->e[k];
		int w;

		if (e->name == NULL)
			continue;
		w = e->value != NULL ? fprintf(f, "%s = %s", e->name, e->value)
				     : fprintf(f, "%s = true", e->name);
		fprintf(f, "%*s# %s\n", w < 40 ? 40 - w : 1, "", from[e->source]);
	}
	fprintf(f, "# every other option has its default (parnikd --help)\n");
}

void
dp_config_free(struct dp_config_args *a)
{
	for (size_t k = 0; k < a->n; k++) {
		free(a->e[k].value);
		free(a->e[k].raw);
	}
	free(a->e);
	free(a->argv);
	memset(a, 0, sizeof(*a));
}
