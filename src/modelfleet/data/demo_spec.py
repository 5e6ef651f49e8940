"""The quickstart's fleet.yaml: documentation for new users as much as configuration."""

from __future__ import annotations

_TEMPLATE = """\
# modelfleet quickstart: forecast daily sales, one model per store.
# Every store (tenant) runs the same pipeline; only the blocks under tenants.overrides differ.
name: demo-retail
description: Daily sales forecasts for a chain of stores (synthetic demo data).
task: regression

# The canonical schema: every source is renamed and converted into these columns.
schema:
  tenant_key: store_id      # one model per store_id
  timestamp: date
  target: sales             # what we forecast
  frequency: D              # daily; leave it out to infer it from the data
  columns:                  # other columns and their types
    promo: int              # 1 when the store runs a promotion that day
    open: int               # 0 when the store is closed (sales are then 0)
    holiday: int            # public holiday, from the calendar
    store_type: str         # static store attributes, from stores.csv
    region: str

# Where the data comes from. Relative paths resolve against this file's folder.
sources:
  - name: sales             # observations: one row per store and day
    kind: observations
    path: sales.csv
  - name: stores            # static: one row per store, joined on store_id
    kind: static
    path: stores.csv
  - name: calendar          # covariates: one row per day, joined on the date
    kind: covariates
    path: calendar.csv
    join_on: [date]

# Data checks on top of the built-in ones (required columns, types, nulls, duplicates...).
checks:
  ranges:
    sales: {{min: 0}}       # negative sales are an error
  future_timestamps: error

# Features built per store. Lags are at least the horizon: no peeking past the forecast origin.
features:
  lags: [28, 35, 42, 364]
  rolling:
    - {{window: 7, stats: [mean, std]}}
    - {{window: 28, stats: [mean, std]}}
  calendar: [dayofweek, day, month, weekofyear, dayofyear, is_weekend]
  covariates: [promo, open, holiday]   # known ahead of time (planned promos, opening days)

# The model family and its parameters (modest, so the demo trains in seconds).
model:
  family: lightgbm
  params: {{n_estimators: 200, learning_rate: 0.05, num_leaves: 31}}

# Hold out the last 28 days of each store to evaluate against the baseline.
validation:
  horizon: 28
  min_train_periods: 56

# Promote a model only if it beats the seasonal-naive baseline by 5% on WMAPE.
gates:
  metric: wmape
  min_improvement: 0.05

# Environments are overlays on this file, not copies: dev trains fewer trees.
environments:
  dev:
    model: {{params: {{n_estimators: 50}}}}
  staging: {{}}
  prod: {{}}

# Promotion: dev -> staging -> prod, no skipping. Staging must not be worse than the version it
# replaces by more than 2% (both scored on the same holdout); prod also needs a human approval.
promotion:
  order: [dev, staging, prod]
  steps:
    staging: {{max_regression: 0.02}}
    prod: {{min_improvement: 0.05, max_regression: 0.0, approval: true}}

# Which stores train, and what differs for some of them.
tenants:
  include: all
  overrides:
    "{berlin}":              # a partner store: its own CSV export replaces the 'sales' source
      sources:
        - name: sales
          kind: observations
          path: partner_berlin.csv
          csv:
            delimiter: ";"
            decimal: ","             # 1234,56
            encoding: latin-1
            date_format: "%d.%m.%Y"  # 31.01.2024
          columns:                   # canonical name: column in the file
            date: Datum
            sales: Umsatz
            promo: Aktion
            open: Geoeffnet
          # store_id is not in the file ('Filiale' is the partner's branch name): it is
          # filled in from this override's store id.
    "{shop}":                # another partner store, delivered as Parquet
      sources:
        - name: sales
          kind: observations
          path: partner_shop.parquet
          columns:
            date: ts
            store_id: shop
            sales: revenue
            promo: on_promo
            open: is_open
    "{tuned}":               # a store whose model needs smaller trees
      model:
        params: {{num_leaves: 15, min_child_samples: 30}}
"""


def fleet_yaml(*, berlin: str, shop: str, tuned: str) -> str:
    """The demo's fleet.yaml text for the given partner and tuned store ids."""
    return _TEMPLATE.format(berlin=berlin, shop=shop, tuned=tuned)
