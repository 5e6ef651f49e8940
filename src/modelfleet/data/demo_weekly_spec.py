"""The weekly demo's two fleet specs: per store x department, and per store with aggregate."""

from __future__ import annotations

_COMMON = """\
# Sources: the raw export as delivered; nothing is converted by a script.
sources:
  - name: sales             # one row per store, department and week (weeks end on Friday)
    path: sales.csv
    columns: {{sales: weekly_sales}}{sales_extra}
  - name: stores            # static: has only `store`, so it joins on store (a subset of the key)
    kind: static
    path: stores.csv        # CR line endings: read as they are
    columns: {{store_type: type}}
  - name: features          # covariates: store + date, so they join on (date, store)
    kind: covariates
    path: features.csv      # NA marks missing values; rows run past the last sales week
    columns: {{holiday: is_holiday}}

checks:
  ranges:
    sales: {{min: 0, severity: warning}}   # returns make some weeks negative: flag, do not fail
  nullable: [markdown1, markdown2, markdown3]   # markdown data starts partway through
  future_timestamps: allow

features:
  lags: [8, 9, 52]
  rolling:
    - {{window: 4, stats: [mean]}}
    - {{window: 13, stats: [mean, std]}}
  calendar: [weekofyear, month, year]
  covariates: [holiday, temperature, fuel_price, markdown1, markdown2, markdown3, store_type, size]
  categorical: [store_type]

model:
  family: lightgbm
  params: {{n_estimators: 300, learning_rate: 0.05, num_leaves: 7, min_child_samples: 5}}

baseline: {{family: seasonal_naive, season: 52}}   # same week last year
validation: {{horizon: 8, min_train_periods: 60}}   # the holdout is each tenant's last 8 weeks
gates: {{metric: wmape, min_improvement: 0.0}}

environments:
  dev: {{model: {{params: {{n_estimators: 150, learning_rate: 0.1}}}}}}   # fewer, larger steps
  prod: {{}}
"""

_SCHEMA = """\
schema:
  tenant_key: {key}
  timestamp: date
  target: sales
  frequency: W
  columns:
    store_type: str         # from stores.csv
    size: float
    holiday: bool           # from features.csv
    temperature: float
    fuel_price: float
    markdown1: float
    markdown2: float
    markdown3: float

"""

_DEPARTMENTS = (
    """\
# Weekly sales per store and department: one model line per (store, dept), e.g. tenant "12-3".
name: weekly-departments
description: Weekly department sales per store (synthetic demo export).
task: regression

"""
    + _SCHEMA.format(key="[store, dept]")
    + _COMMON.format(sales_extra="")
)

_STORES = (
    """\
# The same export, one model per store: departments are summed per store and week.
name: weekly-stores
description: Weekly store sales, departments rolled up (synthetic demo export).
task: regression

"""
    + _SCHEMA.format(key="store")
    + _COMMON.format(
        sales_extra="""
    aggregate:              # rows are per store x dept: roll them up to one per store and week
      columns: {sales: sum}   # the weeks already end on Friday, so no period is needed"""
    )
)


def department_yaml() -> str:
    """fleet.yaml: keyed by [store, dept]."""
    return _DEPARTMENTS


def store_yaml() -> str:
    """fleet-stores.yaml: keyed by store, departments summed with ``aggregate:``."""
    return _STORES
