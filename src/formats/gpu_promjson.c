/*
 * gpu_promjson.c - Prometheus HTTP API query_range (and instant query)
 * responses of dcgm-exporter metrics:
 *   {"status":"success","data":{"resultType":"matrix","result":[
 *     {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"0","UUID":..,"Hostname":..},
 *      "values":[[1759320000,"35"],...]}]}}
 * resultType "vector" ("value":[ts,"v"]) is accepted too. Series of other
 * metrics are skipped; "NaN" and DCGM sentinels are skipped. Syntax errors
 * carry jansson's line:column; a bad value is reported with its JSON path.
 * The parsed tree (jansson) is freed before return.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "formats/gpu_parse.h"
#include "util/err.h"

static const char *label(json_t *m, const char *k)
{
	json_t *v = json_object_get(m, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int point(json_t *p, const char *name, size_t r, size_t k, int64_t *t, double *v, int *skip)
{
	*skip = 0;
	if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(json_array_get(p, 0)))
		return error("%s: data.result[%zu].values[%zu]: expected [unix_time, \"value\"]", name, r, k);
	double ts = json_number_value(json_array_get(p, 0));
	if (ts < 0 || ts > 4102444800.0)
		return error("%s: data.result[%zu].values[%zu]: time %g is out of range", name, r, k, ts);
	*t = (int64_t)(ts * 1000 + 0.5);
	json_t *s = json_array_get(p, 1);
	if (json_is_number(s)) {
		*v = json_number_value(s);
	} else if (json_is_string(s)) {
		const char *str = json_string_value(s);
		char *end;
		if (!strcmp(str, "NaN") || !strcmp(str, "+Inf") || !strcmp(str, "-Inf")) {
			*skip = 1;
			return 0;
		}
		*v = strtod(str, &end);
		if (!*str || *end)
			return error("%s: data.result[%zu].values[%zu]: '%.40s' is not a number", name, r, k, str);
	} else {
		return error("%s: data.result[%zu].values[%zu]: the value is not a string", name, r, k);
	}
	*skip = gpu_value_is_sentinel(*v) || *v < 0;
	return 0;
}

int gpu_parse_promjson(const char *buf, size_t n, const char *name, const char *host, gpu_sample_fn fn, void *arg)
{
	json_error_t je;
	json_t *root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return error("%s:%d:%d: JSON: %s", name, je.line, je.column, je.text);
	int rc = -1;
	json_t *data = json_object_get(root, "data"), *res = json_object_get(data, "result");
	const char *st = label(root, "status");
	if (st && strcmp(st, "success") != 0) {
		error("%s: Prometheus response status is '%s' (%s)", name, st, label(root, "error") ? label(root, "error") : "no error text");
		goto out;
	}
	if (!json_is_array(res)) {
		error("%s: not a Prometheus query response: no data.result array", name);
		goto out;
	}
	for (size_t r = 0; r < json_array_size(res); r++) {
		json_t *s = json_array_get(res, r), *m = json_object_get(s, "metric");
		if (!json_is_object(m)) {
			error("%s: data.result[%zu]: no metric object", name, r);
			goto out;
		}
		const char *mn = label(m, "__name__");
		double scale = 1;
		int metric = mn ? gpu_dcgm_metric(mn, strlen(mn), &scale) : -1;
		if (metric < 0)
			continue;
		const char *g = label(m, "gpu"), *h = host ? host : label(m, "Hostname");
		if (!h)
			h = label(m, "hostname");
		int idx = -1;
		if (g) {
			char *e;
			long x = strtol(g, &e, 10);
			if (*g && !*e && x >= 0 && x < 1000000)
				idx = (int)x;
		}
		const char *u = label(m, "UUID"), *mo = label(m, "modelName"), *pod = label(m, "pod"),
			   *ns = label(m, "namespace"), *ct = label(m, "container");
		if (!pod)
			pod = label(m, "exported_pod");
		if (!ns)
			ns = label(m, "exported_namespace");
		if (!ct)
			ct = label(m, "exported_container");
		struct gpu_ident id = { h ? h : "", u ? u : "", idx, mo ? mo : "", pod ? pod : "", ns ? ns : "", ct ? ct : "" };
		json_t *vals = json_object_get(s, "values"), *one = json_object_get(s, "value");
		size_t cnt = json_is_array(vals) ? json_array_size(vals) : one ? 1 : 0;
		if (!vals && !one) {
			error("%s: data.result[%zu]: no values", name, r);
			goto out;
		}
		for (size_t k = 0; k < cnt; k++) {
			int64_t t = 0;
			double v = 0;
			int skip;
			if (point(vals ? json_array_get(vals, k) : one, name, r, k, &t, &v, &skip) < 0)
				goto out;
			if (skip || gpu_value_is_sentinel(v * scale))
				continue;
			int cr = fn(arg, &id, t, metric, v * scale);
			if (cr) {
				rc = cr;
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
