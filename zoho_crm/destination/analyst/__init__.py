"""Analyst views over the mirror (`zoho_crm_v_*`): home-currency amounts, won/closed flags from the pipeline
stages, activities in one table, stage durations; docs/analyst-views.md documents them column by column."""

from .views import VIEW_NAMES, create_views, drop_views

__all__ = ["VIEW_NAMES", "create_views", "drop_views"]
