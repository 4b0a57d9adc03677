/*
 * carbon.h - energy (kWh) and emissions (kg CO2e) of billed usage, by the
 * Cloud Carbon Footprint (CCF) method.
 *
 * A FOCUS line is turned into "kWh per unit of ConsumedQuantity" once, from
 * what the line says it is:
 *   compute instance-hours  vCPUs x CPU watts (+ GPUs x GPU watts + memory),
 *                           average watts = min + util x (max - min);
 *   vCPU-hours, OCPU-hours  the same with one vCPU (an OCPU is two);
 *   memory GB-hours         kWh per GB-hour;
 *   storage GB-months       GB x hours x Wh per TB-hour (SSD or HDD) x replication;
 *   network GB              kWh per GB;
 * times the provider's PUE. Emissions are energy times the grid factor of the
 * line's region (location-based). Lines none of these fit (API calls, token
 * charges, support, taxes) get no estimate and are counted as such; they are
 * never given a silent zero. See docs/carbon.md for every constant.
 *
 * Ownership: carbon_load() returns a model the caller frees with
 * carbon_free(); strings in a struct carbon_est point into the model.
 */
#ifndef AICOST_CARBON_H
#define AICOST_CARBON_H

#include "core/money.h"

struct alloc_line;
struct carbon_model;

struct carbon_opts {
	double cpu_util;         /* average CPU utilization assumed, 0..1 (CCF default 0.5) */
	double gpu_util;         /* average GPU utilization assumed where no telemetry, 0..1 (0.5) */
};

enum carbon_kind { CK_NONE, CK_INSTANCE, CK_VCPU, CK_MEMORY, CK_STORAGE, CK_NETWORK, CK__COUNT };
extern const char *const carbon_kind_name[CK__COUNT];

struct carbon_est {
	enum carbon_kind kind;
	double kwh_per_unit;     /* PUE included */
	double kg_per_kwh;       /* grid factor of the region */
	int factor_estimated;    /* region not in the table: the provider's (or global) mean */
	const char *instance_type;   /* CK_INSTANCE: as recognized (lower case) */
	const char *gpu_model;   /* CK_INSTANCE with GPUs, else NULL */
	int gpus;
	double gpu_kwh_per_unit; /* the GPU part of kwh_per_unit (PUE included) */
};

/* Load the factor tables from the data directory. NULL after reporting. */
struct carbon_model *carbon_load(const struct carbon_opts *o);
void carbon_free(struct carbon_model *m);

/* Estimate one line. Returns the kind (CK_NONE: no method for this line). */
enum carbon_kind carbon_estimate(const struct carbon_model *m, const struct alloc_line *l, struct carbon_est *out);

/* Grid factor (kg CO2e per kWh) of a provider's region; *estimated set when it is a fallback mean. */
double carbon_grid_factor(const struct carbon_model *m, const char *provider, const char *region, int *estimated);

/* The provider's PUE (CCF: AWS 1.135, Azure 1.185, GCP 1.1; others 1.2). */
double carbon_pue(const char *provider);

/* Convert an estimate to the exact fixed point the report engine sums (rounded to 1e-15). */
money_t carbon_fixed(double v);

#endif
