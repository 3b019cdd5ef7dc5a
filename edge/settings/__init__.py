"""Settings models (pydantic-settings): file and CARWATCH_ environment variables."""
