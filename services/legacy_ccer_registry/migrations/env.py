from services.legacy_ccer_registry.adapters.orm import metadata
from shared.migrations_env import run_env

run_env(metadata, "legacy_ccer_registry")
